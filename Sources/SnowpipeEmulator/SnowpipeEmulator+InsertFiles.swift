import Foundation
import IngestCore
import Logging

extension SnowpipeEmulator {
    /// `POST /v1/data/pipes/{pipe}/insertFiles`: validates the list as Snowflake does, skips paths the pipe
    /// received within the dedup window and paths outside its PATTERN, and queues the rest for loading.
    ///
    /// Statuses follow `reference/protocol-notes.md` (insertFiles, "Status codes", from the current REST page and
    /// the troubleshooting page): 415 for another Content-Type, 500 for a body that is not JSON, 400 for no files,
    /// a path over 1,024 bytes or a stopped pipe. `snowpipe-rest-api.txt`, an older page, lists only a generic
    /// "400 invalid format"; where the two differ the newer, more specific one is followed. The daemon never sends
    /// either kind of body, and takes 415 and 500 as the pipe's (it pauses and retries), never as a bad file.
    func insertFiles(_ request: EmulatorRequest, pipe: PipeDefinition, now: Date) -> EmulatorResponse {
        let contentType =
            (request.header("content-type") ?? "").split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let files: [String]
        switch contentType {
        case "application/json":
            switch Self.parseJSONFiles(request.body) {
            case .success(let paths): files = paths
            case .failure(let rejection): return rejection.response
            }
        case "text/plain":
            if request.query["size"] != nil || request.body.first == UInt8(ascii: "{") {
                return .snowflakeError(
                    400, code: VendorCode.invalidRequest,
                    message: "The size parameter is not allowed with Content-Type text/plain; use application/json.")
            }
            files = String(decoding: request.body, as: UTF8.self)
                .split(whereSeparator: { $0 == "\n" || $0 == "\r\n" })
                .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
                .filter { $0.isEmpty == false }
        default:
            return .snowflakeError(
                415, code: VendorCode.unsupportedMediaType,
                message: "Unsupported Content-Type '\(contentType)'; use application/json or text/plain.")
        }
        guard files.isEmpty == false else {
            return .snowflakeError(
                400, code: VendorCode.invalidRequest, message: "No files were specified in the request.")
        }
        guard files.count <= Self.maximumFilesPerInsert else {
            let status = configuration.tooManyFilesStatus
            return .snowflakeError(
                status, code: status == 429 ? VendorCode.rateLimited : VendorCode.invalidRequest,
                message:
                    "Request limit exceeded: \(files.count) files, at most \(Self.maximumFilesPerInsert) per request.")
        }
        if let long = files.first(where: { $0.utf8.count > Self.maximumPathBytes }) {
            return .snowflakeError(
                400, code: VendorCode.invalidRequest,
                message: "File path exceeds \(Self.maximumPathBytes) bytes: \(long.prefix(64))...")
        }

        var skipped: [String] = []
        var unmatched: [String] = []
        var accepted: [LoadJob] = []
        // Mutated in place (a local copy would duplicate the pipe's whole dedup map on every call).
        stats.pathsReceived += files.count
        for path in files { receivedCounts[pipe.name, default: [:]][path, default: 0] += 1 }
        for path in files {
            if states[pipe.name, default: PipeState()].wasReceived(
                path, within: configuration.dedupWindowSeconds, now: now)
            {
                skipped.append(path)
                continue
            }
            if let pattern = patterns[pipe.name], (try? pattern.wholeMatch(in: path)) == nil {
                unmatched.append(path)
                continue
            }
            states[pipe.name, default: PipeState()].markReceived(path, at: now)
            accepted.append(
                LoadJob(
                    id: nextLoadID, pipe: pipe.name, path: path, receivedAt: now,
                    due: now.addingTimeInterval(configuration.loadDelaySeconds)))
            nextLoadID += 1
        }
        // Committed before the answer, as Snowflake's load metadata is: a restarted emulator still skips these
        // paths and still loads what it accepted.
        do {
            try tables.rememberAccepted(pipe: pipe.name, jobs: accepted)
        } catch {
            logger.error("cannot remember accepted files", metadata: ["error": "\(error)"])
        }
        queue.append(contentsOf: accepted)
        stats.filesQueued += files.count - skipped.count - unmatched.count
        stats.filesSkipped += skipped.count
        stats.filesUnmatched += unmatched.count
        wakeup.signal()

        var body: [String: Any?] = ["responseCode": "SUCCESS"]
        if let requestID = request.query["requestId"] { body["requestId"] = requestID }
        if request.query["showSkippedFiles"]?.lowercased() == "true" { body["skippedFiles"] = skipped }
        if pipe.pattern != nil { body["unmatchedPatternFiles"] = unmatched }
        return .json(200, body)
    }

    /// Parses `{"files":[{"path":..., "size":...}]}`. Not JSON at all is a 500 (Snowflake: "unparsable body");
    /// JSON of the wrong shape is a 400 naming what is wrong.
    static func parseJSONFiles(_ body: [UInt8]) -> Result<[String], Rejection> {
        // Fast path for a well-formed body (a generic JSONValue tree cost a fifth of the emulator's CPU at 5000
        // paths a call); anything it does not accept is parsed again below for a precise message.
        if let typed = try? JSONDecoder().decode(InsertFilesBody.self, from: Data(body)),
            typed.files.allSatisfy({ $0.path.isEmpty == false && ($0.size ?? 0) >= 0 })
        {
            return .success(typed.files.map(\.path))
        }
        guard let document = JSONValue.parse(body) else {
            return .failure(
                Rejection(
                    .snowflakeError(
                        500, code: VendorCode.internalError, message: "Unable to parse the request body as JSON.")
                ))
        }
        func invalid(_ message: String) -> Result<[String], Rejection> {
            .failure(Rejection(.snowflakeError(400, code: VendorCode.invalidRequest, message: message)))
        }
        guard case .object(let object) = document, let filesValue = object["files"] else {
            return invalid("The request body must be a JSON object with a \"files\" array.")
        }
        guard case .array(let entries) = filesValue else { return invalid("\"files\" must be an array.") }
        var paths: [String] = []
        for (index, entry) in entries.enumerated() {
            guard case .object(let file) = entry, case .string(let path)? = file["path"], path.isEmpty == false else {
                return invalid("files[\(index)] must be an object with a non-empty string \"path\".")
            }
            switch file["size"] {
            case nil, .null?: break
            case .integer(let size)? where size >= 0: break
            default: return invalid("files[\(index)].size must be a non-negative integer or null.")
            }
            paths.append(path)
        }
        return .success(paths)
    }
}

/// `{"files":[{"path":..., "size":...}]}` as a client normally sends it.
private struct InsertFilesBody: Decodable {
    struct Entry: Decodable {
        var path: String
        var size: Int64?
    }
    var files: [Entry]
}

/// A request refused before it is processed, carrying the answer to send.
struct Rejection: Error {
    let response: EmulatorResponse
    init(_ response: EmulatorResponse) { self.response = response }
}
