import Foundation
import GRDB
import IngestCore

extension Outbox {
    /// The pipe's next batch: an unsent batch left from before (a crash, a failed attempt or a split; same
    /// requestId, same files; the newest first), or a new one of up to `maxFiles` pending files, committed before it
    /// is returned.
    /// - Parameters:
    ///   - stagedOnly: an upload rule's pipe: only files whose upload was verified (a `staged` row).
    ///   - preferUntried: the pipe is probing after a refusal that may be the pipe's or a file's
    ///     (`RefusalEvidence`): an unsent batch not yet attempted comes first, then a new batch of files not in any,
    ///     and only then a batch already refused, so one refused file cannot hold back the files that would prove
    ///     the pipe works.
    public func nextBatch(
        pipe: String, maxFiles: Int, now: Date, stagedOnly: Bool = false, preferUntried: Bool = false,
        newRequestID: @Sendable () -> String
    ) async throws(OutboxError) -> Batch? {
        let staged = stagedOnly ? " AND EXISTS (SELECT 1 FROM staged WHERE staged.file_id = files.id)" : ""
        let at = Self.seconds(now)
        let requestID = newRequestID()
        // The newest unsent batch first: after a split, one half is sent before the other pair of a split at the
        // same depth, so the search for a refused file goes depth-first (~13 calls from 5000 files to one), never
        // breadth-first (a call for every batch of every level: ~10,000 calls when the pipe refuses everything).
        let order = preferUntried ? "attempts, id DESC" : "id DESC"
        return try await write { db in
            let unbatched = try db.cachedStatement(
                sql: "SELECT 1 FROM files WHERE pipe = ? AND state = 'pending' AND batch_id IS NULL\(staged) LIMIT 1")
            let candidate = try Row.fetchOne(
                db, sql: "SELECT * FROM batches WHERE pipe = ? AND sent_at IS NULL ORDER BY \(order) LIMIT 1",
                arguments: [pipe])
            // Probing: a batch already refused waits while files not yet in any batch can form an untried one.
            let refusedOnly =
                try preferUntried && (candidate?["attempts"] as Int? ?? 0) > 0
                && Bool.fetchOne(unbatched, arguments: [pipe]) != nil
            if let open = candidate, refusedOnly == false {
                let id: Int64 = open["id"]
                let files = try FileRecord.fetchAll(
                    db, sql: "SELECT * FROM files WHERE batch_id = ? AND state = 'pending' ORDER BY id", arguments: [id]
                )
                if files.isEmpty == false {
                    return Batch(
                        id: id, pipe: pipe, requestID: open["request_id"], attempts: open["attempts"], files: files)
                }
                try db.execute(sql: "DELETE FROM batches WHERE id = ?", arguments: [id])
            }
            guard try Bool.fetchOne(unbatched, arguments: [pipe]) != nil else { return nil }
            try db.cachedStatement(sql: "INSERT INTO batches (pipe, request_id, created_at) VALUES (?, ?, ?)")
                .execute(arguments: [pipe, requestID, at])
            let batchID = db.lastInsertedRowID
            // One row per stage path per call: two versions of a path in one call would both be reported
            // skipped. The outbox keeps one path in flight, so a duplicate is rare (a retried old version); it
            // waits for a later batch.
            var paths = Set<String>()
            let files = try FileRecord.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT * FROM files WHERE pipe = ? AND state = 'pending' AND batch_id IS NULL\(staged)
                        ORDER BY id LIMIT ?
                        """),
                arguments: [pipe, maxFiles]
            ).filter { paths.insert($0.stagePath).inserted }.map { file -> FileRecord in
                var assigned = file
                assigned.batchID = batchID
                return assigned
            }
            try Self.assign(files.map(\.id), to: batchID, db)
            return Batch(id: batchID, pipe: pipe, requestID: requestID, attempts: 0, files: files)
        }
    }

    /// Counts an attempt (committed before the HTTP call is made).
    public func beginAttempt(batchID: Int64) async throws(OutboxError) {
        try await write { db in
            try db.execute(sql: "UPDATE batches SET attempts = attempts + 1 WHERE id = ?", arguments: [batchID])
        }
    }

    /// Records that Snowflake answered the latest attempt with a 4xx: that attempt registered nothing.
    public func attemptRefused(batchID: Int64) async throws(OutboxError) {
        try await write { db in
            try db.execute(sql: "UPDATE batches SET refusals = refusals + 1 WHERE id = ?", arguments: [batchID])
        }
    }

    /// Records a 2xx: the batch's files become `submitted`, except those Snowpipe listed as skipped, which end
    /// as `ReportReconciliation.skippedOnInsert` says (`SKIPPED` on a first attempt; on a retry the path may be
    /// our own earlier attempt, so the file stays `submitted`, flagged, and the reports decide).
    /// A path in `unmatchedPaths` (the pipe's `PATTERN` does not match it) ends `SKIPPED` at once whatever the
    /// attempt: Snowpipe will never report it.
    /// - Returns: the files that ended `SKIPPED`.
    @discardableResult
    public func completeBatch(
        _ batch: Batch, skippedPaths: Set<String>, unmatchedPaths: Set<String> = [], now: Date
    ) async throws(OutboxError) -> [FileRecord] {
        let at = Self.seconds(now)
        let skip = ReportReconciliation.skippedOnInsert(firstAttempt: batch.attempts == 0)
        let unmatchedIDs = batch.files.filter { unmatchedPaths.contains($0.stagePath) }.map(\.id)
        let skippedIDs = batch.files.filter {
            skippedPaths.contains($0.stagePath) && unmatchedPaths.contains($0.stagePath) == false
        }.map(\.id)
        return try await write { db in
            // One statement for the whole batch (the usual case: nothing skipped), then the few skipped files.
            try db.cachedStatement(
                sql: """
                    UPDATE files SET state = 'submitted', submitted_at = ?, request_id = ?, maybe_skipped = 0
                    WHERE batch_id = ? AND state = 'pending'
                    """
            ).execute(arguments: [at, batch.requestID, batch.id])
            // Each (file, reason) that ends SKIPPED now: a PATTERN mismatch always, the 14-day rule on a first attempt.
            var ending = unmatchedIDs.map { ($0, UnmatchedPatternExplanation.text) }
            for id in skippedIDs {
                if skip == .skipped {
                    ending.append((id, SkipExplanation.text))
                } else {
                    try db.cachedStatement(
                        sql: "UPDATE files SET maybe_skipped = 1 WHERE id = ? AND state = 'submitted'"
                    )
                    .execute(arguments: [id])
                }
            }
            var skipped: [FileRecord] = []
            for (id, reason) in ending {
                let statement = try db.cachedStatement(
                    sql: """
                        UPDATE files SET state = 'SKIPPED', finished_at = ?, detail = ?, action_pending = 1
                        WHERE id = ? AND state = 'submitted'
                        RETURNING *
                        """)
                if let row = try FileRecord.fetchOne(statement, arguments: [at, reason, id]) { skipped.append(row) }
            }
            try db.cachedStatement(sql: "UPDATE batches SET sent_at = ? WHERE id = ?").execute(arguments: [
                at, batch.id,
            ])
            return skipped
        }
    }

    /// After a 400 for a batch of several files: splits it into two new batches (new requestIds) so the
    /// offending file can be found by bisection.
    public func splitBatch(_ batch: Batch, newRequestID: @Sendable () -> String, now: Date) async throws(OutboxError) {
        let at = Self.seconds(now)
        let ids = batch.files.map(\.id)
        let half = ids.count / 2
        let first = newRequestID()
        let second = newRequestID()
        try await write { db in
            try db.execute(sql: "DELETE FROM batches WHERE id = ?", arguments: [batch.id])
            for (requestID, part) in [(first, Array(ids[..<half])), (second, Array(ids[half...]))] {
                try db.execute(
                    sql: "INSERT INTO batches (pipe, request_id, created_at) VALUES (?, ?, ?)",
                    arguments: [batch.pipe, requestID, at])
                try Self.assign(part, to: db.lastInsertedRowID, db)
            }
        }
    }

    /// After a 400 for a single-file batch: the file is `REJECTED` with Snowflake's message.
    public func rejectBatch(_ batch: Batch, reason: String, now: Date) async throws(OutboxError) -> [FileRecord] {
        let at = Self.seconds(now)
        return try await write { db in
            for file in batch.files {
                try db.execute(
                    sql: """
                        UPDATE files SET state = 'REJECTED', finished_at = ?, detail = ?, request_id = ?,
                            action_pending = 1
                        WHERE id = ? AND state = 'pending'
                        """,
                    arguments: [at, reason, batch.requestID, file.id])
            }
            try db.execute(sql: "UPDATE batches SET sent_at = ? WHERE id = ?", arguments: [at, batch.id])
            return try FileRecord.fetchAll(
                db, sql: "SELECT * FROM files WHERE batch_id = ? AND state = 'REJECTED'", arguments: [batch.id])
        }
    }

    /// Pending files of a pipe not yet in a batch, plus files in unsent batches.
    /// - Parameter stagedOnly: count only files with a verified upload (an upload rule's pipe).
    public func pendingCount(pipe: String, stagedOnly: Bool = false) async throws(OutboxError) -> Int {
        let staged = stagedOnly ? " AND EXISTS (SELECT 1 FROM staged WHERE staged.file_id = files.id)" : ""
        return try await read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM files WHERE pipe = ? AND state = 'pending'\(staged)", arguments: [pipe])
                ?? 0
        }
    }

    /// Puts the files in a batch, a few set-based `IN (...)` updates (ids are integers, written into the SQL).
    private static func assign(_ ids: [Int64], to batchID: Int64, _ db: Database) throws {
        for start in stride(from: 0, to: ids.count, by: 500) {
            let list = ids[start..<min(start + 500, ids.count)].map(String.init).joined(separator: ",")
            try db.execute(sql: "UPDATE files SET batch_id = ? WHERE id IN (\(list))", arguments: [batchID])
        }
    }
}
