import Foundation
import HTTPSeam
import OpenSSLSupport
import Synchronization

/// An S3 (and STS) server in memory, behind the HTTP seam: the stage storage of an upload-mode test rig, shared by
/// the daemon's uploader and the emulator (which mints PUT credentials with `AssumeRole` and reads staged objects
/// back when it loads them). It keeps objects with their user metadata, serves path-style PUT, HEAD, GET, DELETE
/// and multipart uploads, and fails the next object writes on request. Signatures are not checked: the moto tests
/// and the SigV4 vectors prove those; this exists so uploads can run on a manual clock.
public final class MemoryS3: HTTPTransport {
    private struct Object {
        var body: [UInt8]
        var headers: [String: String]
    }

    private struct Upload {
        var key: String
        var headers: [String: String]
        var parts: [Int: [UInt8]] = [:]
    }

    private struct State {
        var objects: [String: Object] = [:]
        var uploads: [String: Upload] = [:]
        var nextUpload = 1
        var failures: [(status: Int, code: String)] = []
        var writes = 0
        var requests = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The next `count` object writes (PUT, multipart steps) are answered `status` with S3 error `code`.
    public func failNextWrites(_ count: Int, status: Int = 503, code: String = "SlowDown") {
        state.withLock { $0.failures += Array(repeating: (status, code), count: count) }
    }

    /// Object keys (`bucket/key`) stored.
    public var keys: [String] { state.withLock { $0.objects.keys.sorted() } }

    /// How many object writes were answered 200.
    public var acceptedWrites: Int { state.withLock { $0.writes } }

    /// How many requests arrived.
    public var requestCount: Int { state.withLock { $0.requests } }

    public func send(_ request: HTTPRequestData) async throws(TransportError) -> HTTPResponseData {
        guard let url = URLComponents(string: request.url) else { return Self.error(400, "InvalidURI") }
        let path = url.percentEncodedPath.removingPercentEncoding ?? url.percentEncodedPath
        let query = Dictionary(
            (url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
        let headers = Dictionary(
            request.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        return state.withLock { state in
            state.requests += 1
            if request.method == "POST", path == "/" {
                return Self.assumeRole(request.body)
            }
            let key = String(path.dropFirst())
            let writes = request.method == "PUT" || (request.method == "POST")
            if writes, state.failures.isEmpty == false {
                let failure = state.failures.removeFirst()
                return Self.error(failure.status, failure.code)
            }
            switch (request.method, query["uploads"] != nil, query["uploadId"]) {
            case ("PUT", _, nil):
                state.objects[key] = Object(body: request.body, headers: Self.objectHeaders(headers))
                state.writes += 1
                return HTTPResponseData(status: 200, headers: ["etag": Self.etag(request.body)])
            case ("HEAD", _, _), ("GET", _, _):
                guard let object = state.objects[key] else { return Self.error(404, "NoSuchKey") }
                var answer = object.headers
                answer["content-length"] = String(object.body.count)
                answer["etag"] = Self.etag(object.body)
                return HTTPResponseData(
                    status: 200, headers: answer, body: request.method == "GET" ? object.body : [])
            case ("POST", true, _):
                let id = "upload-\(state.nextUpload)"
                state.nextUpload += 1
                state.uploads[id] = Upload(key: key, headers: Self.objectHeaders(headers))
                state.writes += 1
                return Self.xml(
                    "<InitiateMultipartUploadResult><UploadId>\(id)</UploadId></InitiateMultipartUploadResult>")
            case ("PUT", _, let id?):
                guard state.uploads[id] != nil, let number = Int(query["partNumber"] ?? "") else {
                    return Self.error(404, "NoSuchUpload")
                }
                state.uploads[id]!.parts[number] = request.body
                state.writes += 1
                return HTTPResponseData(status: 200, headers: ["etag": Self.etag(request.body)])
            case ("POST", false, let id?):
                guard let upload = state.uploads.removeValue(forKey: id) else { return Self.error(404, "NoSuchUpload") }
                let body = upload.parts.keys.sorted().flatMap { upload.parts[$0]! }
                state.objects[upload.key] = Object(body: body, headers: upload.headers)
                state.writes += 1
                return Self.xml(
                    "<CompleteMultipartUploadResult><ETag>\(Self.etag(body))</ETag></CompleteMultipartUploadResult>")
            case ("DELETE", _, let id?):
                state.uploads[id] = nil
                return HTTPResponseData(status: 204)
            case ("DELETE", _, nil):
                state.objects[key] = nil
                return HTTPResponseData(status: 204)
            default:
                return Self.error(405, "MethodNotAllowed")
            }
        }
    }

    /// The headers an object keeps: user metadata and server-side encryption.
    private static func objectHeaders(_ headers: [String: String]) -> [String: String] {
        headers.filter { $0.key.hasPrefix("x-amz-meta-") || $0.key == "x-amz-server-side-encryption" }
    }

    private static func etag(_ body: [UInt8]) -> String {
        "\"" + MD5Digest.hash(body).map { String(format: "%02x", $0) }.joined() + "\""
    }

    private static func assumeRole(_ body: [UInt8]) -> HTTPResponseData {
        let form = String(decoding: body, as: UTF8.self)
        guard form.contains("Action=AssumeRole") else { return error(400, "InvalidAction") }
        return xml(
            "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAMEMORY</AccessKeyId>"
                + "<SecretAccessKey>memory-secret</SecretAccessKey><SessionToken>memory-token</SessionToken>"
                + "</Credentials></AssumeRoleResult></AssumeRoleResponse>")
    }

    private static func xml(_ text: String) -> HTTPResponseData {
        HTTPResponseData(status: 200, headers: ["content-type": "application/xml"], body: Array(text.utf8))
    }

    private static func error(_ status: Int, _ code: String) -> HTTPResponseData {
        xml("<Error><Code>\(code)</Code><Message>\(code) (memory S3)</Message></Error>").with(status: status)
    }
}

extension HTTPResponseData {
    fileprivate func with(status: Int) -> HTTPResponseData {
        HTTPResponseData(status: status, headers: headers, body: body)
    }
}
