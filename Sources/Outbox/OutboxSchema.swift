import GRDB

/// The outbox schema and its migrations, versioned with `PRAGMA user_version`. All SQL of the outbox lives in
/// this file and `Outbox+Queries.swift`.
///
/// Invariants:
/// - one `files` row per file version: (pipe, local_path, size, mtime_ns) is unique;
/// - a row is `submitted` only after a 2xx for the batch that carried it (`batch_id`);
/// - a batch row and its `request_id` exist (committed) before its first HTTP attempt, and `attempts` is
///   incremented (committed) before each attempt, so a restart knows whether it may have reached Snowflake;
///   `refusals` counts the attempts answered with a 4xx (committed after the answer), so `attempts > refusals`
///   means "may have reached the pipe";
/// - stream mode: a file is `submitted` once it has a `streamed` row, whose sequence number (unique in its
///   channel) is committed before the file's first append; `last_row` (the last row a sent chunk covered) is
///   set only once every row was consumed; the file ends only when the channel's committed offset token reaches
///   (sequence, last_row). `rows_refused` (rows never sent: not JSON, wrong field count) is recounted from the
///   whole file each time it is read, so it is set, never added; `rows_rejected` (rows the server skipped) is
///   added once per channel status read that reports them;
/// - upload rules: a pending file is in the DESIGN's `uploaded` state once it has a `staged` row (written only
///   after a HEAD verified the object's size and digest); only such files are batched for insertFiles.
enum OutboxSchema {
    /// The version this build writes.
    static let currentVersion = 7

    static func migrate(_ db: Database) throws {
        let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        if version > currentVersion {
            throw OutboxError.newerSchema(found: version, supported: currentVersion)
        }
        if version < 1 {
            try db.execute(
                sql: """
                    CREATE TABLE files (
                        id INTEGER PRIMARY KEY,
                        pipe TEXT NOT NULL,
                        local_path TEXT NOT NULL,
                        stage_path TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        mtime_ns INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        discovered_at REAL NOT NULL,
                        batch_id INTEGER,
                        submitted_at REAL,
                        finished_at REAL,
                        maybe_skipped INTEGER NOT NULL DEFAULT 0,
                        rows_inserted INTEGER,
                        rows_parsed INTEGER,
                        errors_seen INTEGER,
                        first_error TEXT,
                        first_error_line INTEGER,
                        first_error_column TEXT,
                        detail TEXT,
                        request_id TEXT,
                        action_pending INTEGER NOT NULL DEFAULT 0,
                        UNIQUE (pipe, local_path, size, mtime_ns)
                    );
                    CREATE INDEX files_by_state ON files (pipe, state, id);
                    CREATE INDEX files_by_stage_path ON files (pipe, stage_path, state);
                    CREATE INDEX files_by_local_path ON files (local_path);
                    CREATE INDEX files_by_batch ON files (batch_id) WHERE batch_id IS NOT NULL;
                    CREATE INDEX files_finished ON files (finished_at) WHERE finished_at IS NOT NULL;
                    CREATE INDEX files_action_pending ON files (id) WHERE action_pending = 1;
                    CREATE TABLE batches (
                        id INTEGER PRIMARY KEY,
                        pipe TEXT NOT NULL,
                        request_id TEXT NOT NULL UNIQUE,
                        created_at REAL NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        sent_at REAL
                    );
                    CREATE INDEX batches_open ON batches (pipe, id) WHERE sent_at IS NULL;
                    CREATE TABLE pipes (
                        pipe TEXT PRIMARY KEY,
                        begin_mark TEXT,
                        reported_through REAL
                    );
                    PRAGMA user_version = 1;
                    """)
        }
        if version < 2 {
            try db.execute(
                sql: """
                    CREATE TABLE streamed (
                        file_id INTEGER PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
                        channel TEXT NOT NULL,
                        sequence INTEGER NOT NULL,
                        last_row INTEGER,
                        total_rows INTEGER,
                        rows_refused INTEGER NOT NULL DEFAULT 0,
                        rows_rejected INTEGER NOT NULL DEFAULT 0,
                        first_error TEXT,
                        UNIQUE (channel, sequence)
                    );
                    PRAGMA user_version = 2;
                    """)
        }
        if version < 3 {
            try db.execute(
                sql: """
                    CREATE TABLE staged (
                        file_id INTEGER PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
                        object_key TEXT NOT NULL,
                        digest TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        verified_at REAL NOT NULL
                    );
                    CREATE INDEX files_pending_unbatched ON files (pipe, id) WHERE state = 'pending' AND batch_id IS NULL;
                    ALTER TABLE pipes ADD COLUMN upload_problem TEXT;
                    ALTER TABLE pipes ADD COLUMN upload_problem_since REAL;
                    PRAGMA user_version = 3;
                    """)
        }
        if version < 4 {
            // Why insertFiles calls of the pipe are paused now (a pipe-level refusal, a 403/404), for `status`.
            try db.execute(
                sql: """
                    ALTER TABLE pipes ADD COLUMN submit_problem TEXT;
                    ALTER TABLE pipes ADD COLUMN submit_problem_since REAL;
                    PRAGMA user_version = 4;
                    """)
        }
        if version < 5 {
            // How many of a batch's attempts Snowflake answered with a 4xx (which registers nothing): a batch with
            // `attempts > refusals` may have reached its pipe (`RetiredPipeRule`).
            try db.execute(
                sql: """
                    ALTER TABLE batches ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0;
                    PRAGMA user_version = 5;
                    """)
        }
        if version < 6 {
            // The pipe's health as the daemon last saw it, for `status`: its last successful call to Snowflake and
            // the backoff it is in (written by the daemon every few seconds when they change).
            try db.execute(
                sql: """
                    ALTER TABLE pipes ADD COLUMN last_success_at REAL;
                    ALTER TABLE pipes ADD COLUMN backoff_until REAL;
                    ALTER TABLE pipes ADD COLUMN backoff_reason TEXT;
                    PRAGMA user_version = 6;
                    """)
        }
        if version < 7 {
            // What only the watcher knows, for `status`: how many files wait to be complete (settling), stored by
            // the daemon every few seconds when it changes. One row.
            try db.execute(
                sql: """
                    CREATE TABLE daemon_facts (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        settling INTEGER NOT NULL,
                        stored_at REAL NOT NULL
                    );
                    PRAGMA user_version = 7;
                    """)
        }
    }
}

/// The outbox cannot be opened or used.
public enum OutboxError: Error, Sendable, CustomStringConvertible {
    case newerSchema(found: Int, supported: Int)
    /// Opened read-only before the daemon created the schema.
    case notCreatedYet(path: String)
    /// The file exists but is empty (0 bytes): not an outbox this daemon created.
    case empty(path: String)
    /// The file is not a snowpiped outbox (another database, or not a database).
    case foreign(path: String)
    case database(String)

    public var description: String {
        switch self {
        case .newerSchema(let found, let supported):
            return "the outbox was written by a newer snowpiped (schema \(found), this build knows \(supported)); "
                + "upgrade snowpiped or restore the older outbox"
        case .notCreatedYet(let path):
            return "the outbox \(path) is empty: the daemon has not finished creating it yet (try again in a moment)"
        case .empty(let path):
            return "the outbox \(path) is an empty file (0 bytes): snowpiped never leaves one (a failed copy or "
                + "restore?). It refuses to start over on it, which would submit every watched file again and forget "
                + "what was loaded: restore the outbox from a backup, or, to start over on purpose, delete \(path)"
        case .foreign(let path):
            return "\(path) is not a snowpiped outbox (not a SQLite database, or one without snowpiped's schema); "
                + "snowpiped does not overwrite it: check `state_directory`, or move the file away"
        case .database(let detail):
            return "outbox database error: \(detail)"
        }
    }
}
