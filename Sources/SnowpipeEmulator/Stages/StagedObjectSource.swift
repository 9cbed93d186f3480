import Foundation
import SnowflakeAuth
import StageStorage

/// Reads a file a pipe loads from an internal stage: the object from the stage storage (S3), decrypted with the
/// material its PUT query was given (SNOWFLAKE_FULL), and its `sfc-digest` checked against the decrypted bytes
/// (strict: real Snowflake probably does not check, reference/internal-stage-notes.md §2.3 step 3, but a
/// mismatch here means the uploader is wrong).
struct StagedObjectSource: Sendable {
    let storage: StageStorageSettings?
    let stages: [String: StageDefinition]
    let materials: [String: StageEncryptionMaterial]
    /// The client of `storage`.
    let s3: S3Client?

    func fetch(pipe: PipeDefinition, path: String) async -> Result<[UInt8], LoadFailure> {
        guard let name = pipe.stage, let stage = stages[name.uppercased()], let storage, let s3 else {
            return .failure(.system("pipe \(pipe.name) has no stage storage"))
        }
        let key = stage.keyPrefix + pipe.locationPrefix + path
        let location = "s3://\(storage.bucket)/\(stage.keyPrefix)\(pipe.locationPrefix)"
        let object: (body: [UInt8], info: S3ObjectInfo)
        do {
            object = try await s3.get(
                bucket: storage.bucket, key: key, credentials: SnowpipeEmulator.admin(storage))
        } catch let error where error.status == 404 {
            return .failure(
                .system(
                    "Remote file '\(location)\(path)' was not found. There are several potential causes. The file "
                        + "might not exist. The required credentials may be missing or invalid."))
        } catch {
            return .failure(.system("Failed to read remote file '\(location)\(path)': \(error)"))
        }
        var bytes = object.body
        if stage.encryption == .full {
            guard let matdesc = object.info.metadata[StageEnvelope.matdescMetadata],
                let parsed = try? JSONSerialization.jsonObject(with: Data(matdesc.utf8)) as? [String: Any],
                let queryID = parsed["queryId"] as? String, let material = materials[queryID]
            else {
                return .failure(
                    .system("File '\(location)\(path)' could not be decrypted: no known encryption material"))
            }
            do {
                bytes = try StageEnvelope.decrypt(bytes, metadata: object.info.metadata, masterKey: material.masterKey)
            } catch {
                return .failure(.system("File '\(location)\(path)' could not be decrypted: \(error)"))
            }
        }
        let digest = Data(SHA256Digest.hash(bytes)).base64EncodedString()
        if let recorded = object.info.metadata["sfc-digest"], recorded != digest {
            return .failure(
                .system("File '\(location)\(path)': sfc-digest \(recorded) does not match its content (\(digest))"))
        }
        return .success(bytes)
    }
}

extension SnowpipeEmulator {
    /// What load events report as `stageLocation`.
    func stageLocation(of pipe: PipeDefinition) -> String {
        if let location = pipe.stageLocation { return location }
        if let name = pipe.stage, let stage = stages[name.uppercased()], let storage = configuration.stageStorage {
            return "s3://\(storage.bucket)/\(stage.keyPrefix)\(pipe.locationPrefix)"
        }
        return URL(fileURLWithPath: pipe.stageDirectory).absoluteString
    }
}
