import Foundation
import SnowflakeAuth
import SnowpipeAPI
import SnowpipeHTTPClient
import StageStorage
import TestSupport
import Testing

/// The S3 client against a real S3 server (moto, signature and IAM checks on): what the stage upload relies on.
@Suite("S3 client against moto with signatures checked", .serialized)
struct S3ClientMotoTests {
    func withClient(_ body: @Sendable (MotoS3, S3Client) async throws -> Void) async throws {
        try await MotoS3.withServer { moto in
            let transport = try AsyncHTTPTransport()
            let client = S3Client(
                endpoint: S3Endpoint(scheme: "http", host: "127.0.0.1", port: moto.port, pathStyle: true),
                region: moto.region, transport: transport)
            do {
                try await body(moto, client)
            } catch {
                try? await transport.shutdown()
                throw error
            }
            try await transport.shutdown()
        }
    }

    func credentials(_ key: MotoS3.Key) -> AWSCredentials {
        AWSCredentials(
            accessKeyID: key.accessKeyID, secretAccessKey: key.secretAccessKey, sessionToken: key.sessionToken)
    }

    @Test func temporaryCredentialsPutHeadGetAndDeleteAnEncryptedObjectWithItsMetadata() async throws {
        try await withClient { moto, client in
            let creds = credentials(moto.temporary)
            let key = "stage/2026/a file+1.csv.gz"
            let plaintext = Array("ID,NAME\n1,a\n".utf8)
            let material = StageEncryptionMaterial(masterKey: Array(repeating: 3, count: 16), queryID: "q1", smkID: 7)
            let (ciphertext, envelope) = try StageEnvelope.encrypt(plaintext, material: material)
            let digest = Data(SHA256Digest.hash(plaintext)).base64EncodedString()
            #expect(try await client.head(bucket: moto.bucket, key: key, credentials: creds) == nil)
            let etag = try await client.put(
                bucket: moto.bucket, key: key, body: ciphertext,
                metadata: envelope.merging(["sfc-digest": digest]) { $1 },
                credentials: creds)
            #expect(etag?.contains(SigV4.hex(MD5Digest.hash(ciphertext))) == true)
            let info = try #require(try await client.head(bucket: moto.bucket, key: key, credentials: creds))
            #expect(info.size == ciphertext.count)
            #expect(info.metadata["sfc-digest"] == digest)
            #expect(info.metadata["x-amz-matdesc"] == envelope["x-amz-matdesc"])
            let (body, fetched) = try await client.get(bucket: moto.bucket, key: key, credentials: creds)
            #expect(
                try StageEnvelope.decrypt(body, metadata: fetched.metadata, masterKey: material.masterKey) == plaintext)
            try await client.delete(bucket: moto.bucket, key: key, credentials: creds)
            #expect(try await client.head(bucket: moto.bucket, key: key, credentials: creds) == nil)
        }
    }

    @Test func serverSideEncryptionIsRequestedAndEchoed() async throws {
        try await withClient { moto, client in
            let creds = credentials(moto.admin)
            try await client.put(
                bucket: moto.bucket, key: "sse/a.csv", body: Array("1\n".utf8),
                headers: [("x-amz-server-side-encryption", "AES256")], credentials: creds)
            let info = try await client.head(bucket: moto.bucket, key: "sse/a.csv", credentials: creds)
            #expect(info?.serverSideEncryption == "AES256")
        }
    }

    @Test func aWrongSecretIsRefusedWithSignatureDoesNotMatch() async throws {
        try await withClient { moto, client in
            var creds = credentials(moto.admin)
            creds.secretAccessKey += "x"
            let error = await #expect(throws: S3Error.self) {
                try await client.put(bucket: moto.bucket, key: "x", body: [1], credentials: creds)
            }
            #expect(error?.kind == .refused)
            #expect(error?.code == "SignatureDoesNotMatch", "\(String(describing: error))")
        }
    }

    @Test func aWrongSessionTokenIsRefused() async throws {
        try await withClient { moto, client in
            var creds = credentials(moto.temporary)
            creds.sessionToken = "not-" + (creds.sessionToken ?? "")
            let error = await #expect(throws: S3Error.self) {
                try await client.put(bucket: moto.bucket, key: "x", body: [1], credentials: creds)
            }
            #expect(error?.kind == .refused, "\(String(describing: error))")
        }
    }
}
