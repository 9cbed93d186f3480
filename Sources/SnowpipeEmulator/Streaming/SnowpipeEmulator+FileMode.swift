import Foundation
import IngestCore
import Logging
import OpenSSLSupport
import StageStorage

/// The official streaming SDK's file mode (SDK-private; `../shared/reference/protocol-notes.md` §3.3 and
/// `fidelity-facts.md`): as its input grows, snowpipe-streaming 1.9.1 stops sending rows inline and instead
/// writes zstd-compressed, AES-CTR-encrypted NDJSON files to the pipe's stage location from `:pipe-info`, then
/// registers ranges of them with `POST …/channels/{channel}/filebuffer`. The emulator reads each range back from
/// its stage storage, decrypts it with the key it handed out, and appends its rows as an inline append would.
///
/// The SDK reaches the location at `https://<storage_endpoint>` when `storage_endpoint` is set (and at AWS
/// otherwise), so the file mode works only with a `stageStorage` served over HTTPS (`caFile` names its CA).
extension SnowpipeEmulator {
    /// Where a streaming pipe's clients write their files: under `streaming/<pipe>/`, a fresh folder per
    /// `:pipe-info` answer (so two clients' files never share a name).
    static func fileModePrefix(of pipe: PipeDefinition) -> String { "streaming/\(pipe.name)/" }

    /// Largest decompressed fragment read (not a documented limit: it bounds the emulator's memory).
    static let maximumFragmentBytes = 512 << 20

    /// `:pipe-info`: the SDK needs a stage location even when it appends inline (protocol-notes §3.3). With stage
    /// storage configured, the location is real (a folder of its bucket, credentials minted with STS, the
    /// pipe's key); without, it is a placeholder that only inline appends can live with.
    func pipeInfo(_ pipe: PipeDefinition, now: Date) async -> EmulatorResponse {
        let parts = Self.nameParts(pipe.name)
        var location: [String: Any?] = [
            "expiry_time_ms": Int64((now.timeIntervalSince1970 + 3600) * 1000), "location_type": "S3",
            "location": "snowpipe-emulator/\(pipe.table)/", "use_s3_regional_url": false, "region": "us-west-2",
            "storage_account": nil, "storage_endpoint": nil, "bucket_name": "snowpipe-emulator",
            "path_prefix": "\(pipe.table)/",
            "creds": ["AWS_KEY_ID": "emulator", "AWS_SECRET_KEY": "emulator", "AWS_TOKEN": "emulator"],
        ]
        var encryption = ["pipe_key": "", "pipe_key_id": "", "diversifier": ""]
        if let storage = configuration.stageStorage {
            let credentials: AWSCredentials
            do {
                credentials = try await mintCredentials(storage, for: "snowpipe-streaming")
            } catch {
                return StreamingError.internalError("Cannot issue stage credentials").response
            }
            let fileKey = pipeFileKeys[pipe.name] ?? PipeFileKey.generate()
            pipeFileKeys[pipe.name] = fileKey
            let endpoint = Self.storageEndpoint(storage)
            let prefix = Self.fileModePrefix(of: pipe) + UUID().uuidString.lowercased() + "/"
            location["location"] = "\(storage.bucket)/\(prefix)"
            location["bucket_name"] = storage.bucket
            location["path_prefix"] = prefix
            location["region"] = storage.region
            location["storage_endpoint"] = endpoint.host + (endpoint.port.map { ":\($0)" } ?? "")
            location["creds"] = [
                "AWS_KEY_ID": credentials.accessKeyID, "AWS_SECRET_KEY": credentials.secretAccessKey,
                "AWS_TOKEN": credentials.sessionToken ?? "",
            ]
            encryption = [
                "pipe_key": Data(fileKey.key).base64EncodedString(), "pipe_key_id": fileKey.id,
                "diversifier": fileKey.diversifier,
            ]
        }
        return .json(
            200,
            [
                "database": parts.database, "schema": parts.schema, "pipe": parts.pipe, "owner": "SYSADMIN",
                "valid": true, "rowset_stage_location": location, "durable_stage_location": location,
                "transient_stage_location": location, "stage_location": location, "encryption_info": encryption,
            ])
    }

    /// `POST …/channels/{channel}/filebuffer`: the rows of each fragment, read from the stage, appended in order
    /// as one append whose offset token is the last fragment's end token. Refused whole (nothing appended, the
    /// continuation token still good) if any fragment cannot be read, decrypted or parsed.
    func appendFileFragments(
        _ request: EmulatorRequest, pipe: PipeDefinition, channel name: String, now: Date
    ) async throws(StreamingError) -> EmulatorResponse {
        let token = try currentToken(request, channel: name, pipe: pipe)
        let fragments: [FileFragment]
        do {
            fragments = try JSONDecoder().decode([FileFragment].self, from: Data(request.body))
        } catch {
            throw .invalidRequest("The body must be a JSON array of file fragments: \(error)")
        }
        guard let last = fragments.last else { throw .invalidRequest("The body names no file fragment") }
        guard let storage = configuration.stageStorage else {
            throw .invalidRequest("This emulator has no stage storage, so it cannot read files: set `stageStorage`")
        }
        var rows: [JSONValue] = []
        // Fragments of one file (ranges at different offsets) share one read of it.
        var files: [String: [UInt8]] = [:]
        for fragment in fragments {
            rows += try await self.rows(of: fragment, pipe: pipe, storage: storage, files: &files)
        }
        // The reads above awaited: the channel may have been reopened or dropped meanwhile.
        _ = try currentToken(request, channel: name, pipe: pipe)
        let next = try channels[Self.channelKey(pipe: pipe.name, channel: name)]!.append(
            token: token, rows: rows, offsetToken: last.fragmentEndOffsetToken, now: now,
            commitAt: now.addingTimeInterval(configuration.streamingCommitDelaySeconds))
        stats.streamingAppends += 1
        stats.streamingFileFragments += fragments.count
        wakeup.signal()
        return .json(200, ["next_continuation_token": next.description])
    }

    /// The rows of one fragment: its byte range of the staged file, decrypted and decompressed. `files` holds the
    /// files already read for this request, by path.
    private func rows(
        of fragment: FileFragment, pipe: PipeDefinition, storage: StageStorageSettings, files: inout [String: [UInt8]]
    ) async throws(StreamingError) -> [JSONValue] {
        let folder = "\(storage.bucket)/\(Self.fileModePrefix(of: pipe))"
        guard fragment.filePath.hasPrefix(folder), fragment.filePath.count > folder.count else {
            throw .invalidRequest("file_path \(fragment.filePath) is not in the pipe's stage location \(folder)")
        }
        guard fragment.encryptionVersion == FileFragment.encryptionVersion else {
            throw .invalidRequest(
                "encryption_version \(fragment.encryptionVersion) is not supported: use \(FileFragment.encryptionVersion)"
            )
        }
        guard let fileKey = pipeFileKeys[pipe.name], fileKey.id == fragment.masterKeyID else {
            throw .invalidRequest(
                "master_key_id \(fragment.masterKeyID) is not this pipe's key: fetch :pipe-info again")
        }
        guard let iv = Data(base64Encoded: fragment.ivBase64), iv.count == 16 else {
            throw .invalidRequest("iv_base64 must be 16 bytes in base64")
        }
        guard fragment.contentType == "application/x-ndjson" else {
            throw .invalidRequest("content_type \(fragment.contentType) is not supported: send application/x-ndjson")
        }
        let body: [UInt8]
        if let read = files[fragment.filePath] {
            body = read
        } else {
            body = try await readStaged(fragment.filePath, storage: storage)
            files[fragment.filePath] = body
        }
        let start = fragment.fragmentStartByteOffset
        let end = start + fragment.fragmentLengthBytes
        guard body.count == fragment.fileLengthBytes, start >= 0, fragment.fragmentLengthBytes > 0, end <= body.count
        else {
            throw .invalidRequest(
                "\(fragment.filePath) has \(body.count) bytes; the fragment says the file has "
                    + "\(fragment.fileLengthBytes) and the fragment is bytes \(start)..<\(end)")
        }
        let plain: [UInt8]
        do {
            plain = try AESCounterMode.apply(body[start..<end], key: fileKey.key, iv: Array(iv))
        } catch {
            throw .invalidRequest("\(fragment.filePath) cannot be decrypted: \(error)")
        }
        let rows = try RowsPayload.split(
            try RowsPayload.decode(plain, encoding: "zstd", limit: Self.maximumFragmentBytes))
        guard rows.count == fragment.fragmentRowCount else {
            throw .invalidRows(
                "\(fragment.filePath) holds \(rows.count) rows in the fragment; fragment_row_count says "
                    + "\(fragment.fragmentRowCount)")
        }
        return rows
    }

    /// A file the SDK wrote to the stage, read with the admin key.
    private func readStaged(_ path: String, storage: StageStorageSettings) async throws(StreamingError) -> [UInt8] {
        do {
            return try await stageS3(storage).get(
                bucket: storage.bucket, key: String(path.dropFirst(storage.bucket.count + 1)),
                credentials: Self.admin(storage)
            ).body
        } catch let error where error.status == 404 {
            throw .invalidRequest("file_path \(path) does not exist in the stage")
        } catch {
            logger.error("cannot read a file fragment", metadata: ["file": "\(path)", "error": "\(error)"])
            throw .internalError("Cannot read \(path) from the stage")
        }
    }
}
