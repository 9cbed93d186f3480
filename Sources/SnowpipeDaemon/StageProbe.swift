import Foundation
import SnowflakeAuth
import SnowpipeAPI
import StageStorage

/// `snowpiped check` for an upload rule: logs in, runs the PUT statement for the rule's stage, uploads a small
/// probe object as the daemon would (encrypted on a SNOWFLAKE_FULL stage), HEADs it, and deletes it.
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
        let answer: PutAnswer
        let name = settings.external.map { "s3://\($0.bucket)/\($0.prefix)" } ?? settings.stage
        do {
            if let external = settings.external {
                answer = try StageUploader.externalAnswer(external, directory: directory)
            } else {
                answer = try await session.put(
                    source: "/snowpiped-check", stage: settings.stage, path: directory, sourceCompression: "NONE")
            }
        } catch {
            throw SetupError("stage \(name): \(error)")
        }
        guard answer.locationType == "S3" else {
            throw SetupError(
                "stage \(name) is on \(answer.locationType); snowpiped uploads only to stages on AWS (S3)")
        }
        let endpoint: S3Endpoint
        if let override = settings.endpoint, let url = URL(string: override), let host = url.host {
            endpoint = S3Endpoint(scheme: url.scheme ?? "https", host: host, port: url.port, pathStyle: true)
        } else {
            endpoint = .aws(region: answer.region, endPoint: answer.endPoint)
        }
        let s3 = S3Client(endpoint: endpoint, region: answer.region, transport: connection.transport)
        let credentials = AWSCredentials(
            accessKeyID: answer.awsKeyID, secretAccessKey: answer.awsSecretKey,
            sessionToken: answer.awsToken.isEmpty ? nil : answer.awsToken)
        let (bucket, prefix) = answer.bucketAndPrefix
        let key = prefix + "probe-\(UUID().uuidString.lowercased())"
        let probe = Array("snowpiped check \(Date())\n".utf8)
        var body = probe
        var metadata = ["sfc-digest": Data(SHA256Digest.hash(probe)).base64EncodedString()]
        var headers: [(name: String, value: String)] = []
        if answer.clientSideEncrypted, let masterKey = answer.masterKey.flatMap({ Data(base64Encoded: $0) }) {
            let material = StageEncryptionMaterial(
                masterKey: Array(masterKey), queryID: answer.materialQueryID ?? answer.queryID,
                smkID: answer.smkID ?? 0)
            let (ciphertext, envelope) = try StageEnvelope.encrypt(probe, material: material)
            body = ciphertext
            metadata.merge(envelope) { $1 }
        } else if settings.external == nil {
            headers.append(("x-amz-server-side-encryption", "AES256"))
        }
        do {
            try await s3.put(
                bucket: bucket, key: key, body: body, metadata: metadata, headers: headers, credentials: credentials)
            guard let info = try await s3.head(bucket: bucket, key: key, credentials: credentials),
                info.size == body.count, info.metadata["sfc-digest"] == metadata["sfc-digest"]
            else {
                throw SetupError(
                    "stage \(name): the probe object s3://\(bucket)/\(key) was not there after its upload")
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
