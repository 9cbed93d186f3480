import Foundation
import GRDB
import IngestCore

extension Outbox {
    /// Records discovered file versions in one transaction; versions already known are ignored. Rejected files
    /// are recorded `REJECTED` with their reason (and an after-failure action due). A new version of a known
    /// stage path follows `NewVersionRule`: it replaces a pending row never sent (one row per path in
    /// flight), or is recorded `SKIPPED` with `ChangedAfterSend` when the path may already have reached
    /// Snowpipe, which will not load it again for 14 days.
    /// - Returns: the rows newly inserted or replaced (pending, rejected and skipped).
    @discardableResult
    public func record(_ files: [DiscoveredFile], now: Date) async throws(OutboxError) -> [FileRecord] {
        try await recordDiscovered(files, now: now).inserted
    }

    /// `record(_:now:)`, also saying which files were not recorded because another pipe already has this exact
    /// version (`Recording.heldElsewhere`).
    /// - Parameter holdOtherPipes: false for a backfill, which registers files another pipe's history holds.
    public func recordDiscovered(
        _ files: [DiscoveredFile], now: Date, holdOtherPipes: Bool = true
    ) async throws(OutboxError) -> Recording {
        guard files.isEmpty == false else { return Recording() }
        let at = Self.seconds(now)
        return try await write { db in
            // No RETURNING: the new row is built from what was inserted (reading rows back costs more than the
            // insert itself at burst rates).
            // One lookup per file: the newest row of its stage path says both whether this exact version is known
            // (the usual case for a rescan) and, if not, what `NewVersionRule` needs.
            let newest = try db.cachedStatement(
                sql: """
                    SELECT files.id, files.state, COALESCE(batches.attempts, 0) > 0,
                        (SELECT MAX(submitted_at) FROM files AS sent
                         WHERE sent.pipe = files.pipe AND sent.stage_path = files.stage_path),
                        files.local_path, files.size, files.mtime_ns
                    FROM files LEFT JOIN batches ON batches.id = files.batch_id
                    WHERE files.pipe = ? AND files.stage_path = ?
                    ORDER BY files.id DESC LIMIT 1
                    """)
            // OR IGNORE: an older row may hold this exact version (a file set back to an earlier size and mtime);
            // it is known, so nothing is recorded.
            let insert = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO files
                        (pipe, local_path, stage_path, size, mtime_ns, state, discovered_at, finished_at, detail,
                         action_pending)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            let replace = try db.cachedStatement(
                sql: """
                    UPDATE OR IGNORE files SET local_path = ?, size = ?, mtime_ns = ?, discovered_at = ? WHERE id = ?
                    """)
            // This exact version under another pipe, unless it ended REJECTED (never sent).
            let elsewhere = try db.cachedStatement(
                sql: """
                    SELECT pipe FROM files
                    WHERE local_path = ? AND size = ? AND mtime_ns = ? AND pipe != ? AND state != 'REJECTED'
                    LIMIT 1
                    """)
            // Whether any other pipe has rows at all: two index seeks per pipe and transaction, so the lookup above
            // is made per file only in an outbox that ever held another pipe (in a burst it was a third of the
            // insert's cost, for nothing).
            let otherPipe = try db.cachedStatement(
                sql: """
                    SELECT EXISTS (SELECT 1 FROM files WHERE pipe < ?1) OR EXISTS (SELECT 1 FROM files WHERE pipe > ?1)
                    """)
            var othersPresent: [String: Bool] = [:]
            func anotherPipeHasRows(_ pipe: String) throws -> Bool {
                if let known = othersPresent[pipe] { return known }
                let present = try Bool.fetchOne(otherPipe, arguments: [pipe]) ?? true
                othersPresent[pipe] = present
                return present
            }
            let stamp = Date(timeIntervalSince1970: at)
            var inserted: [FileRecord] = []
            var held: [String: [String]] = [:]
            for file in files {
                let row = try Row.fetchOne(newest, arguments: [file.pipe, file.stagePath])
                if let row, row[4] == file.localPath, row[5] == file.size, row[6] == file.mtimeNanoseconds {
                    continue
                }
                // A rule's pipe changed: what the old pipe had (or may have had) is not sent again by itself.
                if holdOtherPipes, row == nil, file.rejection == nil, try anotherPipeHasRows(file.pipe),
                    let other = try String.fetchOne(
                        elsewhere, arguments: [file.localPath, file.size, file.mtimeNanoseconds, file.pipe])
                {
                    held[other, default: []].append(file.localPath)
                    continue
                }
                var state: FileState = file.rejection != nil ? .rejected : .pending
                var detail = file.rejection
                if state == .pending {
                    let known = row.flatMap { row in
                        FileState(rawValue: row[1]).map {
                            NewVersionRule.Known(id: row[0], state: $0, attempted: row[2], lastSent: row[3])
                        }
                    }
                    switch NewVersionRule.decide(known: known, now: at) {
                    case .record:
                        break
                    case .replacePending(let id):
                        try replace.execute(arguments: [file.localPath, file.size, file.mtimeNanoseconds, at, id])
                        guard db.changesCount > 0 else { continue }
                        inserted.append(
                            FileRecord(
                                id: id, pipe: file.pipe, localPath: file.localPath, stagePath: file.stagePath,
                                size: file.size, mtimeNanoseconds: file.mtimeNanoseconds, state: .pending,
                                discoveredAt: stamp, finishedAt: nil, detail: nil))
                        continue
                    case .notLoadable(let sentAt):
                        state = .skipped
                        detail = ChangedAfterSend.text(sentAt: sentAt.map { Date(timeIntervalSince1970: $0) })
                    }
                }
                let finished = state.isTerminal
                try insert.execute(arguments: [
                    file.pipe, file.localPath, file.stagePath, file.size, file.mtimeNanoseconds, state.rawValue, at,
                    finished ? at : nil, detail, finished ? 1 : 0,
                ])
                guard db.changesCount > 0 else { continue }
                for pipe in othersPresent.keys where pipe != file.pipe { othersPresent[pipe] = true }
                inserted.append(
                    FileRecord(
                        id: db.lastInsertedRowID, pipe: file.pipe, localPath: file.localPath, stagePath: file.stagePath,
                        size: file.size, mtimeNanoseconds: file.mtimeNanoseconds, state: state, discoveredAt: stamp,
                        finishedAt: finished ? stamp : nil, detail: detail))
            }
            return Recording(inserted: inserted, heldElsewhere: held)
        }
    }
}

extension Outbox {
    /// The stage paths among `stagePaths` that have a row for `pipe`, in any state.
    public func knownStagePaths(pipe: String, among stagePaths: [String]) async throws(OutboxError) -> Set<String> {
        try await read { db in
            let statement = try db.cachedStatement(sql: "SELECT 1 FROM files WHERE pipe = ? AND stage_path = ? LIMIT 1")
            return Set(try stagePaths.filter { try Bool.fetchOne(statement, arguments: [pipe, $0]) != nil })
        }
    }
}

/// What `Outbox.recordDiscovered(_:now:holdOtherPipes:)` did.
public struct Recording: Sendable {
    /// The rows newly inserted or replaced (pending, rejected and skipped).
    public var inserted: [FileRecord] = []
    /// Local paths not recorded because this exact version belongs to another pipe's history (sent, loaded or
    /// finished there), by that pipe: a changed `pipe:` does not send files again by itself.
    public var heldElsewhere: [String: [String]] = [:]
}
