import Foundation
import GRDB
import IngestCore

/// A file being streamed into a channel (stream mode): its outbox row and its place in the channel.
public struct StreamedFile: Sendable, Equatable {
    public var file: FileRecord
    /// Its sequence number in the channel.
    public var sequence: Int64
    /// Its last row, once every chunk was appended.
    public var lastRow: Int64?
    /// Rows not loaded: refused before sending (not JSON, wrong field count) plus rejected by the server.
    public var rowsRejected: Int64
    /// The first reason a row was not loaded.
    public var firstError: String?

    public init(file: FileRecord, sequence: Int64, lastRow: Int64?, rowsRejected: Int64, firstError: String?) {
        self.file = file
        self.sequence = sequence
        self.lastRow = lastRow
        self.rowsRejected = rowsRejected
        self.firstError = firstError
    }

    /// As `ChannelProgress` sees it.
    public var open: ChannelProgress.OpenFile {
        ChannelProgress.OpenFile(id: file.id, sequence: sequence, lastRow: lastRow)
    }
}

extension Outbox {
    /// The channel's files that are not finished, in sequence order.
    public func streamingFiles(channel: String) async throws(OutboxError) -> [StreamedFile] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: Self.streamedFiles + """
                     WHERE streamed.channel = ? AND files.state = 'submitted' ORDER BY streamed.sequence
                    """, arguments: [channel]
            ).map(Self.streamedFile)
        }
    }

    /// Gives up to `limit` pending files of `pipe` the channel's next sequence numbers and makes them `submitted`,
    /// in one transaction (committed before their first append).
    public func startStreaming(pipe: String, channel: String, limit: Int, now: Date) async throws(OutboxError)
        -> [StreamedFile]
    {
        let at = Self.seconds(now)
        return try await write { db in
            let ids = try Int64.fetchAll(
                db, sql: "SELECT id FROM files WHERE pipe = ? AND state = 'pending' ORDER BY id LIMIT ?",
                arguments: [pipe, limit])
            guard ids.isEmpty == false else { return [] }
            var next =
                (try Int64.fetchOne(
                    db, sql: "SELECT MAX(sequence) FROM streamed WHERE channel = ?", arguments: [channel])
                    ?? 0) + 1
            let insert = try db.cachedStatement(
                sql: "INSERT INTO streamed (file_id, channel, sequence) VALUES (?, ?, ?)")
            let submit = try db.cachedStatement(
                sql: "UPDATE files SET state = 'submitted', submitted_at = ? WHERE id = ?")
            for id in ids {
                try insert.execute(arguments: [id, channel, next])
                try submit.execute(arguments: [at, id])
                next += 1
            }
            let list = ids.map(String.init).joined(separator: ",")
            return try Row.fetchAll(
                db,
                sql: Self.streamedFiles + " WHERE files.id IN (\(list)) ORDER BY streamed.sequence"
            ).map(Self.streamedFile)
        }
    }

    /// A file whose every row was consumed: the last row a sent chunk covered (0: none was ever sent), the rows in
    /// the file, and the rows refused before sending (not JSON, wrong field count).
    public struct Consumed: Sendable, Equatable {
        public var fileID: Int64
        public var lastRow: Int64
        public var totalRows: Int64
        public var refused: Int64
        public var firstError: String?

        public init(fileID: Int64, lastRow: Int64, totalRows: Int64, refused: Int64, firstError: String?) {
            self.fileID = fileID
            self.lastRow = lastRow
            self.totalRows = totalRows
            self.refused = refused
            self.firstError = firstError
        }
    }

    /// Records files whose every row was consumed, in one transaction (a chunk may complete hundreds).
    public func streamAppended(_ files: [Consumed]) async throws(OutboxError) {
        guard files.isEmpty == false else { return }
        try await write { db in
            let update = try db.cachedStatement(
                sql: """
                    UPDATE streamed SET last_row = ?, total_rows = ?, rows_refused = ?,
                        first_error = COALESCE(?, first_error)
                    WHERE file_id = ?
                    """)
            for file in files {
                try update.execute(arguments: [
                    file.lastRow, file.totalRows, file.refused, file.firstError, file.fileID,
                ])
            }
        }
    }

    /// Adds rows the server rejected to the file with `sequence` in the channel (attributed by
    /// `ChannelErrorLedger`).
    public func streamRejected(channel: String, sequence: Int64, rows: Int64, message: String?)
        async throws(OutboxError)
    {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE streamed SET rows_rejected = rows_rejected + ?, first_error = COALESCE(first_error, ?)
                    WHERE channel = ? AND sequence = ?
                    """, arguments: [rows, message, channel, sequence])
        }
    }

    /// Ends files whose every row is committed: `LOADED`, `PARTIALLY_LOADED` (some rows rejected) or
    /// `LOAD_FAILED` (all of them), with their counts. Returns them.
    public func streamCommitted(ids: [Int64], now: Date) async throws(OutboxError) -> [FileRecord] {
        guard ids.isEmpty == false else { return [] }
        let at = Self.seconds(now)
        return try await write { db in
            let end = try db.cachedStatement(
                sql: """
                    UPDATE files SET
                        state = CASE
                            WHEN s.errors = 0 THEN 'LOADED'
                            WHEN s.errors >= s.total AND s.total > 0 THEN 'LOAD_FAILED'
                            ELSE 'PARTIALLY_LOADED' END,
                        rows_parsed = s.total, rows_inserted = MAX(0, s.total - s.errors),
                        errors_seen = s.errors, first_error = s.first_error, finished_at = ?, action_pending = 1
                    FROM (
                        SELECT COALESCE(total_rows, last_row, 0) AS total, rows_refused + rows_rejected AS errors,
                            first_error
                        FROM streamed WHERE file_id = ?) AS s
                    WHERE files.id = ? AND files.state = 'submitted'
                    """)
            for id in ids { try end.execute(arguments: [at, id, id]) }
            return try Self.records(ids: ids, db).filter(\.state.isTerminal)
        }
    }

    /// Ends a streamed file that can no longer be read (deleted, changed or unreadable before all its rows were
    /// sent): `LOAD_FAILED`, or `PARTIALLY_LOADED` when `committedRows` of its rows are already in the table.
    public func streamAbandoned(fileID: Int64, committedRows: Int64, reason: String, now: Date)
        async throws(OutboxError) -> [FileRecord]
    {
        let at = Self.seconds(now)
        return try await write { db in
            try db.execute(
                sql: """
                    UPDATE files SET state = ?, rows_inserted = ?, finished_at = ?, detail = ?, action_pending = 1
                    WHERE id = ? AND state = 'submitted'
                    """,
                arguments: [
                    committedRows > 0 ? FileState.partiallyLoaded.rawValue : FileState.loadFailed.rawValue,
                    committedRows, at, reason, fileID,
                ])
            return try Self.records(ids: [fileID], db).filter(\.state.isTerminal)
        }
    }

    /// The rows `streamedFile` decodes: `files.*` first (positional decoding), then the stream columns.
    private static let streamedFiles = """
        SELECT files.*, streamed.sequence, streamed.last_row, streamed.rows_refused + streamed.rows_rejected,
            streamed.first_error
        FROM streamed JOIN files ON files.id = streamed.file_id
        """

    private static func streamedFile(_ row: Row) throws -> StreamedFile {
        let file = try FileRecord(row: row)
        let base = 21  // files.* has 21 columns (schema version 1)
        return StreamedFile(
            file: file, sequence: row[base], lastRow: row[base + 1], rowsRejected: row[base + 2],
            firstError: row[base + 3])
    }
}
