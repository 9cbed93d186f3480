import Foundation
import GRDB
import IngestCore

extension Outbox {
    /// Records discovered file versions in one transaction; versions already known are ignored. Rejected files
    /// are recorded `REJECTED` with their reason (and an after-failure action due).
    /// - Returns: the rows newly inserted (pending and rejected).
    @discardableResult
    public func record(_ files: [DiscoveredFile], now: Date) async throws(OutboxError) -> [FileRecord] {
        guard files.isEmpty == false else { return [] }
        let at = Self.seconds(now)
        return try await write { db in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO files
                        (pipe, local_path, stage_path, size, mtime_ns, state, discovered_at, finished_at, detail,
                         action_pending)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    RETURNING *
                    """)
            var inserted: [FileRecord] = []
            for file in files {
                let rejected = file.rejection != nil
                let arguments: StatementArguments = [
                    file.pipe, file.localPath, file.stagePath, file.size, file.mtimeNanoseconds,
                    rejected ? FileState.rejected.rawValue : FileState.pending.rawValue, at,
                    rejected ? at : nil, file.rejection, rejected ? 1 : 0,
                ]
                if let row = try FileRecord.fetchOne(insert, arguments: arguments) { inserted.append(row) }
            }
            return inserted
        }
    }

    /// True when this exact version is already recorded (used by scans to skip settled files cheaply).
    public func knows(pipe: String, localPath: String, size: Int64, mtimeNanoseconds: Int64) async throws(OutboxError)
        -> Bool
    {
        try await read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM files WHERE pipe = ? AND local_path = ? AND size = ? AND mtime_ns = ? LIMIT 1",
                arguments: [pipe, localPath, size, mtimeNanoseconds]) ?? false
        }
    }

    /// The stage paths among `paths` that another version of this pipe's files used within `window` seconds
    /// before `now` (Snowpipe will skip them: the 14-day rule).
    public func recentlySubmitted(pipe: String, stagePaths: [String], within window: TimeInterval, now: Date)
        async throws(OutboxError) -> Set<String>
    {
        guard stagePaths.isEmpty == false else { return [] }
        let since = Self.seconds(now) - window
        return try await read { db in
            var found = Set<String>()
            let statement = try db.cachedStatement(
                sql: "SELECT 1 FROM files WHERE pipe = ? AND stage_path = ? AND submitted_at >= ? LIMIT 1")
            for path in stagePaths where try Bool.fetchOne(statement, arguments: [pipe, path, since]) ?? false {
                found.insert(path)
            }
            return found
        }
    }
}
