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
            // No RETURNING: the new row is built from what was inserted (reading rows back costs more than the
            // insert itself at burst rates).
            let insert = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO files
                        (pipe, local_path, stage_path, size, mtime_ns, state, discovered_at, finished_at, detail,
                         action_pending)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            let stamp = Date(timeIntervalSince1970: at)
            var inserted: [FileRecord] = []
            for file in files {
                let state: FileState = file.rejection != nil ? .rejected : .pending
                let rejected = state == .rejected
                try insert.execute(arguments: [
                    file.pipe, file.localPath, file.stagePath, file.size, file.mtimeNanoseconds, state.rawValue, at,
                    rejected ? at : nil, file.rejection, rejected ? 1 : 0,
                ])
                guard db.changesCount > 0 else { continue }
                inserted.append(
                    FileRecord(
                        id: db.lastInsertedRowID, pipe: file.pipe, localPath: file.localPath, stagePath: file.stagePath,
                        size: file.size, mtimeNanoseconds: file.mtimeNanoseconds, state: state, discoveredAt: stamp,
                        finishedAt: rejected ? stamp : nil, detail: file.rejection))
            }
            return inserted
        }
    }
}
