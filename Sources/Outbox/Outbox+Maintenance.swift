import Foundation
import GRDB
import IngestCore

extension Outbox {
    /// Finished files whose after-load / after-failure action has not run yet (after a crash, or just now).
    public func pendingActions(limit: Int = 1000) async throws(OutboxError) -> [FileRecord] {
        try await read { db in
            try FileRecord.fetchAll(
                db, sql: "SELECT * FROM files WHERE action_pending = 1 ORDER BY id LIMIT ?", arguments: [limit])
        }
    }

    /// Marks a file's action as done (or not needed).
    public func actionDone(ids: [Int64]) async throws(OutboxError) {
        guard ids.isEmpty == false else { return }
        try await write { db in
            let statement = try db.cachedStatement(sql: "UPDATE files SET action_pending = 0 WHERE id = ?")
            for id in ids { try statement.execute(arguments: [id]) }
        }
    }

    /// Finished rows older than `before` (candidates for pruning) in id order, starting after the id `after`
    /// (keyset paging: `PrunePager`).
    public func finished(before: Date, after: Int64? = nil, limit: Int) async throws(OutboxError) -> [FileRecord] {
        let limitTime = Self.seconds(before)
        return try await read { db in
            try FileRecord.fetchAll(
                db,
                sql: """
                    SELECT * FROM files WHERE id > ? AND finished_at IS NOT NULL AND finished_at < ?
                    AND action_pending = 0
                    ORDER BY id LIMIT ?
                    """,
                arguments: [after ?? 0, limitTime, limit])
        }
    }

    /// Deletes rows (pruning) and batches no file refers to any more.
    public func delete(ids: [Int64]) async throws(OutboxError) {
        guard ids.isEmpty == false else { return }
        try await write { db in
            let statement = try db.cachedStatement(sql: "DELETE FROM files WHERE id = ?")
            for id in ids { try statement.execute(arguments: [id]) }
            try db.execute(
                sql: """
                    DELETE FROM batches WHERE sent_at IS NOT NULL
                    AND NOT EXISTS (SELECT 1 FROM files WHERE files.batch_id = batches.id)
                    """)
        }
    }

    /// Per-pipe counts by state and the age of the oldest unfinished file.
    public func summary() async throws(OutboxError) -> [PipeSummary] {
        try await read { db in
            var byPipe: [String: PipeSummary] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT pipe, state, COUNT(*) AS n FROM files GROUP BY pipe, state") {
                let pipe: String = row["pipe"]
                byPipe[pipe, default: PipeSummary(pipe: pipe, counts: [:], oldestUnfinished: nil)].counts[
                    row["state"]] =
                    row["n"]
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT pipe, MIN(discovered_at) AS oldest,
                        MIN(CASE WHEN state = 'pending' THEN discovered_at END) AS oldest_pending,
                        MIN(CASE WHEN state = 'submitted' THEN discovered_at END) AS oldest_submitted
                    FROM files WHERE state IN ('pending', 'submitted') GROUP BY pipe
                    """)
            {
                let pipe: String = row["pipe"]
                func date(_ column: String) -> Date? { (row[column] as Double?).map(Date.init(timeIntervalSince1970:)) }
                byPipe[pipe]?.oldestUnfinished = date("oldest")
                byPipe[pipe]?.oldestPending = date("oldest_pending")
                byPipe[pipe]?.oldestSubmitted = date("oldest_submitted")
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT pipe, upload_problem, upload_problem_since, submit_problem, submit_problem_since,
                        last_success_at, backoff_until, backoff_reason
                    FROM pipes
                    WHERE upload_problem IS NOT NULL OR submit_problem IS NOT NULL OR last_success_at IS NOT NULL
                        OR backoff_until IS NOT NULL
                    """
            ) {
                let pipe: String = row["pipe"]
                var summary = byPipe[pipe] ?? PipeSummary(pipe: pipe, counts: [:], oldestUnfinished: nil)
                summary.uploadProblem = row["upload_problem"]
                summary.uploadProblemSince = (row["upload_problem_since"] as Double?).map(
                    Date.init(timeIntervalSince1970:))
                summary.submitProblem = row["submit_problem"]
                summary.submitProblemSince = (row["submit_problem_since"] as Double?).map(
                    Date.init(timeIntervalSince1970:))
                summary.lastSuccessAt = (row["last_success_at"] as Double?).map(Date.init(timeIntervalSince1970:))
                summary.backoffUntil = (row["backoff_until"] as Double?).map(Date.init(timeIntervalSince1970:))
                summary.backoffReason = row["backoff_reason"]
                byPipe[pipe] = summary
            }
            return byPipe.values.sorted { $0.pipe < $1.pipe }
        }
    }

    /// The most recent failures (LOAD_FAILED, PARTIALLY_LOADED, REJECTED, NOT_REPORTED), newest first.
    public func recentProblems(limit: Int) async throws(OutboxError) -> [FileRecord] {
        try await read { db in
            try FileRecord.fetchAll(
                db,
                sql: """
                    SELECT * FROM files WHERE state IN ('LOAD_FAILED', 'PARTIALLY_LOADED', 'REJECTED', 'NOT_REPORTED')
                    ORDER BY finished_at DESC LIMIT ?
                    """,
                arguments: [limit])
        }
    }

    /// Every recorded version of a file, by its local path or its stage path, oldest first.
    public func history(path: String) async throws(OutboxError) -> [FileRecord] {
        try await read { db in
            try FileRecord.fetchAll(
                db, sql: "SELECT * FROM files WHERE local_path = ? OR stage_path = ? ORDER BY id",
                arguments: [path, path])
        }
    }

    /// All rows in a state (for tests and `snowpiped retry`).
    public func files(inStates states: [FileState], pipe: String? = nil) async throws(OutboxError) -> [FileRecord] {
        let names = states.map(\.rawValue)
        return try await read { db in
            let placeholders = databaseQuestionMarks(count: names.count)
            var arguments = StatementArguments(names)
            var sql = "SELECT * FROM files WHERE state IN (\(placeholders))"
            if let pipe {
                sql += " AND pipe = ?"
                arguments += [pipe]
            }
            return try FileRecord.fetchAll(db, sql: sql + " ORDER BY id", arguments: arguments)
        }
    }

    /// Puts finished files back to `pending` (`snowpiped retry`), clearing their results. A LOADED row is never
    /// rewritten (its rows are in the table), nor a path that already has a version in flight.
    public func requeue(ids: [Int64]) async throws(OutboxError) -> Int {
        try await write { db in
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE files SET state = 'pending', batch_id = NULL, submitted_at = NULL, finished_at = NULL,
                        maybe_skipped = 0, rows_inserted = NULL, rows_parsed = NULL, errors_seen = NULL,
                        first_error = NULL, first_error_line = NULL, first_error_column = NULL, detail = NULL,
                        request_id = NULL, action_pending = 0
                    WHERE id = ? AND state NOT IN ('pending', 'submitted', 'LOADED')
                      AND NOT EXISTS (
                          SELECT 1 FROM files AS other WHERE other.pipe = files.pipe
                          AND other.stage_path = files.stage_path AND other.state IN ('pending', 'submitted'))
                    """)
            var changed = 0
            for id in ids {
                try statement.execute(arguments: [id])
                changed += db.changesCount
            }
            return changed
        }
    }
}

extension Outbox {
    /// Bytes of the database file and its write-ahead log.
    public var sizeOnDisk: Int64 {
        [path, path + "-wal"].reduce(0) { total, file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value
            return total + (size ?? 0)
        }
    }
}
