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
}
