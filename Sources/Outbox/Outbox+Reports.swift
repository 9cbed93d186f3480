import Foundation
import GRDB
import IngestCore

extension Outbox {
    /// Where a pipe's report reading stands: the last `nextBeginMark` and the time up to which reports were read.
    public func reportCursor(pipe: String) async throws(OutboxError) -> (beginMark: String?, reportedThrough: Date?) {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM pipes WHERE pipe = ?", arguments: [pipe]) else {
                return (nil, nil)
            }
            let through: Double? = row["reported_through"]
            return (row["begin_mark"], through.map { Date(timeIntervalSince1970: $0) })
        }
    }

    /// Applies load reports to the pipe's files and advances the cursor, in one transaction. Each report is
    /// matched with the oldest row awaiting a report for its stage path (`submitted`, or `pending` in an attempted
    /// batch) and `ReportReconciliation.verdict` decides what it does to that row.
    /// - Parameters:
    ///   - beginMark: the new `nextBeginMark` to persist (nil leaves it unchanged).
    ///   - reportedThrough: the time up to which reports are now complete (nil leaves it unchanged; it never
    ///     moves back).
    /// - Returns: the files that reached a terminal state.
    public func applyReports(
        pipe: String, reports: [LoadReport], beginMark: String?, reportedThrough: Date?, now: Date
    ) async throws(OutboxError) -> [FileRecord] {
        let at = Self.seconds(now)
        let through = reportedThrough.map(Self.seconds)
        return try await write { db in
            var finishedIDs: [Int64] = []
            // Two columns only: GRDB indexes a row's column names each time it builds one, so a narrow row is
            // much cheaper than `files.*` at 10,000 reports a call. Finished rows are read back in one query.
            let find = try db.cachedStatement(
                sql: """
                    SELECT files.id, batches.created_at FROM files
                    JOIN batches ON batches.id = files.batch_id
                    WHERE files.pipe = ? AND files.stage_path = ?
                      AND (files.state = 'submitted' OR (files.state = 'pending' AND batches.attempts > 0))
                    ORDER BY files.id LIMIT 1
                    """)
            for report in reports {
                let candidate = try Row.fetchOne(find, arguments: [pipe, report.stagePath]).map {
                    ReportReconciliation.Candidate(id: $0[0], batchCreatedAt: $0[1])
                }
                let verdict = ReportReconciliation.verdict(
                    status: report.status, timeReceived: report.timeReceived?.timeIntervalSince1970, for: candidate)
                guard let id = candidate?.id else { continue }
                let state: FileState
                switch verdict {
                case .ignore:
                    continue
                case .progress:
                    try db.cachedStatement(sql: "UPDATE files SET rows_inserted = ?, rows_parsed = ? WHERE id = ?")
                        .execute(arguments: [report.rowsInserted, report.rowsParsed, id])
                    continue
                case .end(let final):
                    state = final
                }
                let end = try db.cachedStatement(
                    sql: """
                        UPDATE files SET state = ?, finished_at = ?, submitted_at = COALESCE(submitted_at, ?),
                            request_id = COALESCE(request_id, (SELECT request_id FROM batches WHERE id = batch_id)),
                            rows_inserted = ?, rows_parsed = ?,
                            errors_seen = ?, first_error = ?, first_error_line = ?, first_error_column = ?,
                            detail = ?, action_pending = 1
                        WHERE id = ?
                        """)
                try end.execute(arguments: [
                    state.rawValue, at, at, report.rowsInserted, report.rowsParsed, report.errorsSeen,
                    report.firstError, report.firstErrorLine, report.firstErrorColumn, report.systemError, id,
                ])
                finishedIDs.append(id)
            }
            if beginMark != nil || through != nil {
                try db.execute(
                    sql: """
                        INSERT INTO pipes (pipe, begin_mark, reported_through) VALUES (?, ?, ?)
                        ON CONFLICT (pipe) DO UPDATE SET
                            begin_mark = COALESCE(excluded.begin_mark, begin_mark),
                            reported_through = MAX(
                                COALESCE(excluded.reported_through, reported_through),
                                COALESCE(reported_through, excluded.reported_through))
                        """,
                    arguments: [pipe, beginMark, through])
            }
            return try Self.records(ids: finishedIDs, db)
        }
    }

    /// The rows with these ids, in id order, read with a few `IN (...)` queries.
    static func records(ids: [Int64], _ db: Database) throws -> [FileRecord] {
        var records: [FileRecord] = []
        records.reserveCapacity(ids.count)
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = ids[start..<min(start + 500, ids.count)]
            // Integers only, so the list can be written into the SQL (no 500 bound parameters to build).
            let list = chunk.map(String.init).joined(separator: ",")
            records += try FileRecord.fetchAll(db, sql: "SELECT * FROM files WHERE id IN (\(list)) ORDER BY id")
        }
        return records
    }

    /// How many of the pipe's files await a report.
    public func submittedCount(pipe: String) async throws(OutboxError) -> Int {
        try await read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM files WHERE pipe = ? AND state = 'submitted'", arguments: [pipe]) ?? 0
        }
    }

    /// The earliest submission time among the pipe's files awaiting a report.
    public func oldestSubmission(pipe: String) async throws(OutboxError) -> Date? {
        try await read { db in
            try Double.fetchOne(
                db, sql: "SELECT MIN(submitted_at) FROM files WHERE pipe = ? AND state = 'submitted'", arguments: [pipe]
            ).map { Date(timeIntervalSince1970: $0) }
        }
    }

    /// Submitted files of the pipe sent before `before` (past their report deadline).
    public func overdue(pipe: String, submittedBefore before: Date) async throws(OutboxError) -> [FileRecord] {
        let limit = Self.seconds(before)
        return try await read { db in
            try FileRecord.fetchAll(
                db,
                sql: "SELECT * FROM files WHERE pipe = ? AND state = 'submitted' AND submitted_at < ? ORDER BY id",
                arguments: [pipe, limit])
        }
    }

    /// Ends overdue files as `ReportReconciliation.expired` says: `SKIPPED` for those Snowpipe had listed as
    /// skipped on a retry, else `NOT_REPORTED`.
    public func expire(_ files: [FileRecord], now: Date) async throws(OutboxError) -> [FileRecord] {
        let at = Self.seconds(now)
        return try await write { db in
            var ended: [FileRecord] = []
            for file in files {
                let state = ReportReconciliation.expired(maybeSkipped: file.maybeSkipped)
                let detail =
                    state == .skipped
                    ? SkipExplanation.text
                    : "no load report and no load history for this file before the deadline; check "
                        + "COPY_HISTORY for the pipe and retry with `snowpiped retry` if it did not load"
                try db.execute(
                    sql: """
                        UPDATE files SET state = ?, finished_at = ?, detail = ?, action_pending = 1
                        WHERE id = ? AND state = 'submitted'
                        """,
                    arguments: [state.rawValue, at, detail, file.id])
                if let row = try FileRecord.fetchOne(db, sql: "SELECT * FROM files WHERE id = ?", arguments: [file.id])
                {
                    ended.append(row)
                }
            }
            return ended
        }
    }
}
