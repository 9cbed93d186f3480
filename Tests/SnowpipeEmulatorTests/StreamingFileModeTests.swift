import Codecs
import Foundation
import OpenSSLSupport
import SnowpipeEmulator
import StageStorage
import TestSupport
import Testing

/// The streaming SDK's file mode, written as the SDK writes it: a zstd NDJSON file encrypted with AES-256-CTR
/// under the pipe's key from `:pipe-info`, PUT to the stage location it names with the credentials it hands
/// out, then registered with `/filebuffer` (the official SDK doing the same runs in tests/python).
@Suite("Snowpipe Streaming file mode: :pipe-info's location and key, /filebuffer fragments")
struct StreamingFileModeTests {
    let s3 = MemoryS3()
    let fixture: EmulatorFixture

    init() throws {
        fixture = try EmulatorFixture(stageTransport: s3) {
            $0.streamingCommitDelaySeconds = 1
            $0.stageStorage = StageStorageSettings(
                endpoint: "https://127.0.0.1:9443", region: "us-east-1", bucket: "sfc-rig", accessKeyID: "ADMIN",
                secretAccessKey: "admin-secret", roleARN: "arn:aws:iam::123456789012:role/snowflake-put")
        }
    }

    /// What the SDK reads from `:pipe-info`.
    struct PipeInfo {
        let bucket: String
        let prefix: String
        let endpoint: String
        let credentials: AWSCredentials
        let key: [UInt8]
        let keyID: String
        let diversifier: String
    }

    func pipeInfo(token: String) async throws -> PipeInfo {
        let response = await fixture.ingest(
            "POST", EmulatorFixture.pipePath(pipe: "DB.S.JSON_PIPE", operation: ":pipe-info"),
            headers: ["Content-Type": "application/json"],
            body: Array(#"{"generate_new_token":true,"encryption_version":"AES-CTR-128.1"}"#.utf8), scopedToken: token)
        #expect(response.status == 200, "\(response.text)")
        let location = try #require(response.object["rowset_stage_location"] as? [String: Any])
        let creds = try #require(location["creds"] as? [String: String])
        let encryption = try #require(response.object["encryption_info"] as? [String: String])
        return PipeInfo(
            bucket: try #require(location["bucket_name"] as? String),
            prefix: try #require(location["path_prefix"] as? String),
            endpoint: try #require(location["storage_endpoint"] as? String),
            credentials: AWSCredentials(
                accessKeyID: try #require(creds["AWS_KEY_ID"]), secretAccessKey: try #require(creds["AWS_SECRET_KEY"]),
                sessionToken: creds["AWS_TOKEN"]),
            key: [UInt8](try #require(Data(base64Encoded: encryption["pipe_key"] ?? ""))),
            keyID: try #require(encryption["pipe_key_id"]), diversifier: try #require(encryption["diversifier"]))
    }

    /// Writes `ids` as the SDK writes a file (each batch followed by an empty line) and returns its fragment.
    func stage(
        _ ids: Range<Int>, name: String, info: PipeInfo, keyID: String? = nil, rowCount: Int? = nil
    ) async throws -> [String: Any] {
        var fragment = try await stage(parts: [ids], name: name, info: info)[0]
        if let keyID { fragment["master_key_id"] = keyID }
        if let rowCount { fragment["fragment_row_count"] = rowCount }
        return fragment
    }

    /// Writes one file of several parts, each compressed and encrypted on its own, and returns a fragment per part
    /// (its byte range of the file).
    func stage(parts: [Range<Int>], name: String, info: PipeInfo) async throws -> [[String: Any]] {
        let iv = (0..<16).map { UInt8($0 * 7 % 256) }
        var file: [UInt8] = []
        var ranges: [(ids: Range<Int>, start: Int, count: Int, text: Int)] = []
        for ids in parts {
            let text = ids.map { #"{"id":\#($0),"payload":{"n":\#($0)}}"# + "\n" }.joined() + "\n"
            let sealed = try AESCounterMode.apply(Zstd.compress(Array(text.utf8))[...], key: info.key, iv: iv)
            ranges.append((ids, file.count, sealed.count, text.utf8.count))
            file += sealed
        }
        let client = S3Client(
            endpoint: S3Endpoint(host: "127.0.0.1", port: 9443, pathStyle: true), region: "us-east-1", transport: s3)
        try await client.put(bucket: info.bucket, key: info.prefix + name, body: file, credentials: info.credentials)
        return ranges.map { part in
            [
                "file_path": "\(info.bucket)/\(info.prefix)\(name)", "content_type": "application/x-ndjson",
                "file_etag": "x", "file_length_bytes": file.count, "fragment_length_bytes": part.count,
                "fragment_length_uncompressed_bytes": part.text,
                "fragment_start_offset_token": "\(part.ids.lowerBound)",
                "fragment_end_offset_token": "\(part.ids.upperBound - 1)", "fragment_row_count": part.ids.count,
                "fragment_start_byte_offset": part.start, "diversifier": info.diversifier,
                "master_key_id": info.keyID, "iv_base64": Data(iv).base64EncodedString(),
                "encryption_version": "AES-CTR-128.1", "min_append_timestamp_ms": 0,
            ]
        }
    }

    func register(_ fragments: [[String: Any]], channel: String, continuation: String, token: String) async
        -> EmulatorResponse
    {
        await fixture.ingest(
            "POST",
            EmulatorFixture.channelPath(pipe: "DB.S.JSON_PIPE", channel: channel, data: true, suffix: "/filebuffer"),
            query: ["continuationToken": continuation], headers: ["Content-Type": "application/json"],
            body: Array(try! JSONSerialization.data(withJSONObject: fragments)), scopedToken: token)
    }

    func open(_ channel: String, token: String) async -> String {
        await fixture.openChannel(channel, scopedToken: token).object["next_continuation_token"] as? String ?? ""
    }

    @Test func pipeInfoNamesARealLocationCredentialsAndA32ByteKey() async throws {
        let info = try await pipeInfo(token: await fixture.scopedToken())
        #expect(info.bucket == "sfc-rig")
        #expect(info.prefix.hasPrefix("streaming/DB.S.JSON_PIPE/"))
        #expect(info.endpoint == "127.0.0.1:9443")  // the SDK prepends https://
        #expect(info.credentials.accessKeyID != "ADMIN")  // minted with STS, not the admin key
        #expect(info.key.count == 32)
        #expect(info.keyID.isEmpty == false)
    }

    @Test func fragmentsAreReadDecryptedAndCommittedUnderTheLastEndOffsetToken() async throws {
        let token = await fixture.scopedToken()
        let info = try await pipeInfo(token: token)
        let first = try await stage(0..<300, name: "0.ndjson", info: info)
        let second = try await stage(300..<500, name: "1.ndjson", info: info)
        let continuation = await open("F1", token: token)
        let response = await register([first, second], channel: "F1", continuation: continuation, token: token)
        #expect(response.status == 200, "\(response.text)")
        await fixture.emulator.advanceClock(by: 1)
        let status = await fixture.channelStatuses(["F1"], scopedToken: token)["F1"]
        #expect(status?["last_committed_offset_token"] as? String == "499")
        #expect(status?["rows_inserted"] as? Int == 500)
        let rows = try await fixture.emulator.rows(of: "DB.S.EVENTS")
        #expect(rows.map { Int($0[0] ?? "") ?? -1 } == Array(0..<500))
        #expect(await fixture.emulator.statistics().streamingFileFragments == 2)
    }

    @Test func fragmentsOfOneFileAreReadFromItsByteRangesWithOneRead() async throws {
        let token = await fixture.scopedToken()
        let info = try await pipeInfo(token: token)
        let fragments = try await stage(parts: [0..<40, 40..<100, 100..<130], name: "joint.ndjson", info: info)
        let continuation = await open("F3", token: token)
        let before = s3.requestCount
        let response = await register(fragments, channel: "F3", continuation: continuation, token: token)
        #expect(response.status == 200, "\(response.text)")
        #expect(s3.requestCount - before == 1)  // one GET for the three fragments
        await fixture.emulator.advanceClock(by: 1)
        let status = await fixture.channelStatuses(["F3"], scopedToken: token)["F3"]
        #expect(status?["last_committed_offset_token"] as? String == "129")
        let rows = try await fixture.emulator.rows(of: "DB.S.EVENTS")
        #expect(rows.map { Int($0[0] ?? "") ?? -1 } == Array(0..<130))
    }

    @Test func aFragmentThatCannotBeTrustedIsRefusedWholeAndTheTokenStaysGood() async throws {
        let token = await fixture.scopedToken()
        let info = try await pipeInfo(token: token)
        let continuation = await open("F2", token: token)
        let good = try await stage(0..<10, name: "good.ndjson", info: info)
        var outside = good
        outside["file_path"] = "\(info.bucket)/elsewhere/good.ndjson"
        var missing = good
        missing["file_path"] = "\(info.bucket)/\(info.prefix)missing.ndjson"
        let cases: [(fragment: [String: Any], says: String)] = [
            (try await stage(0..<10, name: "k.ndjson", info: info, keyID: "999"), "master_key_id 999"),
            (try await stage(0..<10, name: "n.ndjson", info: info, rowCount: 11), "fragment_row_count says 11"),
            (outside, "is not in the pipe's stage location"),
            (missing, "does not exist in the stage"),
        ]
        for (fragment, says) in cases {
            let response = await register([good, fragment], channel: "F2", continuation: continuation, token: token)
            #expect(response.status == 400, "\(says)")
            #expect(response.text.contains(says), "\(response.text)")
        }
        await fixture.emulator.advanceClock(by: 1)
        #expect(try await fixture.emulator.rows(of: "DB.S.EVENTS").isEmpty)  // nothing of a refused request
        let retried = await register([good], channel: "F2", continuation: continuation, token: token)
        #expect(retried.status == 200, "\(retried.text)")
    }
}
