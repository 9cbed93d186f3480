import Foundation
import GRDB
import IngestCore

/// What `retire(pipesOtherThan:covered:now:)` did.
public struct Retirement: Sendable {
    /// Files ended now, with their reason (to announce).
    public var ended: [FileRecord] = []
    /// Never-sent rows released to the rule that covers their path now, by old pipe.
    public var released: [String: Int] = [:]
    /// Pipes no rule names that still have submitted files to follow to their final status.
    public var followed: [String] = []
}

extension Outbox {
    /// Applies `RetiredPipeRule` to every unfinished row whose pipe is not in `pipes` (the pipes the configuration
    /// names), in one transaction, and clears the stored problems of pipes it does not name (no service of theirs
    /// submits or uploads any more).
    /// - Parameter covered: whether a watch rule covers this local path now.
    public func retire(
        pipesOtherThan pipes: Set<String>, covered: @escaping @Sendable (String) -> Bool, now: Date
    ) async throws(OutboxError) -> Retirement {
        let at = Self.seconds(now)
        return try await write { db in
            var result = Retirement()
            let known = try String.fetchAll(
                db, sql: "SELECT DISTINCT pipe FROM files WHERE state IN ('pending', 'submitted')")
            for pipe in known where pipes.contains(pipe) == false {
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT files.id, files.state, files.local_path,
                            COALESCE(batches.attempts, 0) > COALESCE(batches.refusals, 0),
                            EXISTS (SELECT 1 FROM streamed WHERE streamed.file_id = files.id)
                        FROM files LEFT JOIN batches ON batches.id = files.batch_id
                        WHERE files.pipe = ? AND files.state IN ('pending', 'submitted')
                        """,
                    arguments: [pipe])
                var follows = false
                for row in rows {
                    guard let state = FileState(rawValue: row[1]) else { continue }
                    let id: Int64 = row[0]
                    let facts = RetiredPipeRule.Row(state: state, mayHaveReached: row[3], streamed: row[4])
                    switch RetiredPipeRule.decide(facts, pipe: pipe, covered: covered(row[2])) {
                    case .release:
                        try db.execute(sql: "DELETE FROM files WHERE id = ?", arguments: [id])
                        result.released[pipe, default: 0] += 1
                    case .end(let final, let reason):
                        let statement = try db.cachedStatement(
                            sql: """
                                UPDATE files SET state = ?, finished_at = ?, detail = ?, action_pending = 1
                                WHERE id = ? RETURNING *
                                """)
                        if let ended = try FileRecord.fetchOne(statement, arguments: [final.rawValue, at, reason, id]) {
                            result.ended.append(ended)
                        }
                    case .keep:
                        follows = true
                    }
                }
                if follows { result.followed.append(pipe) }
            }
            for pipe in try String.fetchAll(db, sql: "SELECT pipe FROM pipes") where pipes.contains(pipe) == false {
                try db.execute(
                    sql: """
                        UPDATE pipes SET upload_problem = NULL, upload_problem_since = NULL, submit_problem = NULL,
                            submit_problem_since = NULL
                        WHERE pipe = ?
                        """,
                    arguments: [pipe])
            }
            // Unsent batches left without a file (their files were released or ended).
            try db.execute(
                sql: """
                    DELETE FROM batches WHERE sent_at IS NULL
                    AND NOT EXISTS (SELECT 1 FROM files WHERE files.batch_id = batches.id)
                    """)
            return result
        }
    }
}
