import Foundation
import GRDB
import IngestCore

/// A file's verified upload: the object, its digest and size.
public struct StagedObject: Sendable, Equatable {
    public var fileID: Int64
    /// The object key in the bucket (the stage location's prefix + the file's stage path's name).
    public var objectKey: String
    /// base64 SHA-256 of the bytes uploaded before encryption (`sfc-digest`).
    public var digest: String
    public var size: Int64

    public init(fileID: Int64, objectKey: String, digest: String, size: Int64) {
        self.fileID = fileID
        self.objectKey = objectKey
        self.digest = digest
        self.size = size
    }
}

extension Outbox {
    /// Pending files of an upload pipe whose upload is not verified yet, oldest first.
    public func filesToStage(pipe: String, limit: Int) async throws(OutboxError) -> [FileRecord] {
        try await read { db in
            try FileRecord.fetchAll(
                db,
                sql: """
                    SELECT * FROM files WHERE pipe = ? AND state = 'pending' AND batch_id IS NULL
                        AND NOT EXISTS (SELECT 1 FROM staged WHERE staged.file_id = files.id)
                    ORDER BY id LIMIT ?
                    """,
                arguments: [pipe, limit])
        }
    }

    /// Records a verified upload (committed before the file may be batched).
    public func recordStaged(_ object: StagedObject, now: Date) async throws(OutboxError) {
        let at = Self.seconds(now)
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO staged (file_id, object_key, digest, size, verified_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (file_id) DO NOTHING
                    """,
                arguments: [object.fileID, object.objectKey, object.digest, object.size, at])
        }
    }

    /// The verified upload of a file, if any.
    public func stagedObject(fileID: Int64) async throws(OutboxError) -> StagedObject? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM staged WHERE file_id = ?", arguments: [fileID]).map {
                StagedObject(fileID: $0["file_id"], objectKey: $0["object_key"], digest: $0["digest"], size: $0["size"])
            }
        }
    }

    /// Ends a pending file that can never be uploaded (a name collision in the stage, a compression the stage
    /// cannot take): `REJECTED` with the reason, never submitted.
    public func rejectUpload(fileID: Int64, reason: String, now: Date) async throws(OutboxError) -> [FileRecord] {
        let at = Self.seconds(now)
        return try await write { db in
            try db.execute(
                sql: """
                    UPDATE files SET state = 'REJECTED', finished_at = ?, detail = ?, action_pending = 1
                    WHERE id = ? AND state = 'pending' AND batch_id IS NULL
                    """,
                arguments: [at, reason, fileID])
            return try Self.records(ids: [fileID], db).filter(\.state.isTerminal)
        }
    }

    /// Records why uploads to `pipe`'s stage fail now (nil: they work again), for `snowpiped status`; the time
    /// of the first failure in a row is kept.
    public func setUploadProblem(pipe: String, _ problem: String?, now: Date) async throws(OutboxError) {
        try await setProblem("upload_problem", pipe: pipe, problem, now: now)
    }

    /// Records why `pipe`'s insertFiles calls are paused now (nil: they are accepted again), for `snowpiped
    /// status`; the time of the first refusal in a row is kept.
    public func setSubmitProblem(pipe: String, _ problem: String?, now: Date) async throws(OutboxError) {
        try await setProblem("submit_problem", pipe: pipe, problem, now: now)
    }

    /// One of the `pipes` row's problem columns (`column` and `column_since`).
    private func setProblem(_ column: String, pipe: String, _ problem: String?, now: Date) async throws(OutboxError) {
        let at = Self.seconds(now)
        try await write { db in
            try db.execute(sql: "INSERT INTO pipes (pipe) VALUES (?) ON CONFLICT (pipe) DO NOTHING", arguments: [pipe])
            try db.execute(
                sql: """
                    UPDATE pipes SET \(column) = ?,
                        \(column)_since = CASE WHEN ? IS NULL THEN NULL ELSE COALESCE(\(column)_since, ?) END
                    WHERE pipe = ?
                    """,
                arguments: [problem, problem, at, pipe])
        }
    }
}
