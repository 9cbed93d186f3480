import Foundation
import IngestCore
import SnowflakeAuth
import SnowpipeAPI
import StageStorage

/// `snowpiped check` for an upload rule: logs in, runs the PUT statement for the rule's stage, uploads a small
/// probe object as the daemon would (encrypted on a SNOWFLAKE_FULL stage) after HEADing its free name, HEADs it,
/// and deletes it.
public enum StageProbe {
    /// A line saying what was proven, or an error saying which step failed and what to do.
    public static func run(settings: UploadSettings, connection: SnowflakeConnection, version: String) async throws
        -> String
    {
        let session = connection.sessionClient(version: version)
        do {
            let line = try await probe(settings: settings, connection: connection, session: session)
            await session.close()
            return line
        } catch {
            await session.close()
            throw error
        }
    }

    private static func probe(settings: UploadSettings, connection: SnowflakeConnection, session: SessionClient)
        async throws -> String
    {
        let directory = settings.path.isEmpty ? ".snowpiped-check" : settings.path + "/.snowpiped-check"
        let name = settings.external.map { "s3://\($0.bucket)/\($0.prefix)" } ?? settings.stage
        let answer: PutAnswer
        do {
            answer = try await StageUploader.answer(
                settings: settings, session: session, directory: directory, source: "/snowpiped-check",
                compression: "NONE")
        } catch {
            throw SetupError("stage \(name): \(error)")
        }
        guard answer.locationType == "S3" else {
            throw SetupError(
                "stage \(name) is on \(answer.locationType); snowpiped uploads only to stages on AWS (S3)")
        }
        let target = StageUploader.target(
            settings: settings, answer: answer, name: "probe-\(UUID().uuidString.lowercased())",
            transport: connection.transport)
        let (s3, bucket, key, credentials) = (target.s3, target.bucket, target.key, target.credentials)
        let probe = Array("snowpiped check \(Date())\n".utf8)
        let digest = Data(SHA256Digest.hash(probe)).base64EncodedString()
        let (body, metadata, headers) = try StageUploader.seal(
            probe, digest: digest, answer: answer, settings: settings)
        do {
            // As a large file's multipart upload does first: the name is free. Without s3:ListBucket, S3 answers
            // a HEAD of a missing object 403.
            do {
                _ = try await s3.head(bucket: bucket, key: key, credentials: credentials)
            } catch {
                guard error.status == 403 else { throw error }
                throw SetupError(
                    "stage \(name): HEAD of a missing object was refused (\(error)): the credentials need "
                        + "s3:ListBucket on the bucket, or files above 16 MiB can never be uploaded")
            }
            try await s3.put(
                bucket: bucket, key: key, body: body, metadata: metadata, headers: headers, credentials: credentials)
            let info = try await s3.head(bucket: bucket, key: key, credentials: credentials)
            let verdict = UploadVerdict.afterUpload(
                observed: StageUploader.observed(info), size: body.count, digest: digest, encrypted: target.encrypted)
            if case .notVerified(let problem) = verdict {
                throw SetupError("stage \(name): the probe object s3://\(bucket)/\(key) after its upload: \(problem)")
            }
        } catch let error as S3Error {
            throw SetupError("stage \(name): \(error)")
        }
        var deleted = "deleted"
        do {
            try await s3.delete(bucket: bucket, key: key, credentials: credentials)
        } catch {
            deleted = "not deleted (\(error.code ?? "HTTP \(error.status)")): remove s3://\(bucket)/\(key) by hand"
        }
        let how =
            settings.external != nil
            ? "external S3 stage in \(answer.region), configured credentials"
            : "session login, PUT: \(answer.clientSideEncrypted ? "client-side" : "server-side") encrypted S3 stage in "
                + answer.region
        return "stage \(name): OK (\(how), a probe object uploaded, verified and \(deleted))"
    }
}
