import Foundation
import HTTPSeam
import OpenSSLSupport

/// Where a bucket is reached: AWS's virtual-host endpoints in production, or a path-style endpoint (an
/// S3-compatible server, or moto on loopback in tests).
public struct S3Endpoint: Sendable, Equatable {
    public var scheme: String
    public var host: String
    public var port: Int?
    /// `scheme://host/bucket/key` instead of `scheme://bucket.host/key`.
    public var pathStyle: Bool

    public init(scheme: String = "https", host: String, port: Int? = nil, pathStyle: Bool) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.pathStyle = pathStyle
    }

    /// AWS's regional endpoint (`s3.<region>.amazonaws.com`, `.com.cn` in China), or the stage's `endPoint`
    /// (FIPS, PrivateLink) when Snowflake gives one.
    public static func aws(region: String, endPoint: String? = nil) -> S3Endpoint {
        if let endPoint, endPoint.isEmpty == false { return S3Endpoint(host: endPoint, pathStyle: false) }
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return S3Endpoint(host: "s3.\(region).\(suffix)", pathStyle: false)
    }

    /// The `Host` header for `bucket` (signed, so it must be exactly what is sent).
    func hostHeader(bucket: String) -> String {
        let name = pathStyle || bucket.isEmpty ? host : "\(bucket).\(host)"
        let defaultPort = scheme == "https" ? 443 : 80
        guard let port, port != defaultPort else { return name }
        return "\(name):\(port)"
    }

    /// The path as characters: `/bucket/key` (path style) or `/key`.
    func path(bucket: String, key: String) -> String {
        if key.isEmpty { return pathStyle ? "/\(bucket)" : "/" }
        return pathStyle ? "/\(bucket)/\(key)" : "/\(key)"
    }
}

/// What HEAD says about an object.
public struct S3ObjectInfo: Sendable, Equatable {
    public var size: Int
    public var etag: String?
    /// User metadata (`x-amz-meta-*`), names lowercased and without the prefix.
    public var metadata: [String: String]
    /// `x-amz-server-side-encryption`, when the object has it.
    public var serverSideEncryption: String?
}

/// The S3 calls the stage upload needs, each one signed exchange over an `HTTPTransport` (the caller owns
/// retries: it decides from `S3Error.kind`). Object keys are given as characters, never pre-encoded.
public struct S3Client: Sendable {
    public let endpoint: S3Endpoint
    public let region: String
    let transport: any HTTPTransport
    let now: @Sendable () -> Date

    public init(
        endpoint: S3Endpoint, region: String, transport: any HTTPTransport,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.endpoint = endpoint
        self.region = region
        self.transport = transport
        self.now = now
    }

    /// HEAD: nil when the object does not exist (404).
    public func head(bucket: String, key: String, credentials: AWSCredentials) async throws(S3Error) -> S3ObjectInfo? {
        let response = try await send(
            "HEAD", bucket: bucket, key: key, credentials: credentials, operation: "HEAD \(bucket)/\(key)")
        if response.status == 404 { return nil }
        guard response.status == 200 else {
            throw S3Error.from(status: response.status, body: response.body, operation: "HEAD \(bucket)/\(key)")
        }
        return Self.info(response)
    }

    /// PUT of a whole object with user metadata (`x-amz-meta-<name>`) and extra headers (e.g. SSE); returns
    /// the ETag. The body is sent `UNSIGNED-PAYLOAD` with a `Content-MD5`, which S3 checks.
    @discardableResult
    public func put(
        bucket: String, key: String, body: [UInt8], metadata: [String: String] = [:],
        headers extra: [(name: String, value: String)] = [], credentials: AWSCredentials
    ) async throws(S3Error) -> String? {
        var headers = extra + metadata.sorted { $0.key < $1.key }.map { ("x-amz-meta-\($0.key)", $0.value) }
        headers.append(("content-md5", Data(MD5Digest.hash(body)).base64EncodedString()))
        let operation = "PUT \(bucket)/\(key)"
        let response = try await send(
            "PUT", bucket: bucket, key: key, headers: headers, body: body, credentials: credentials,
            operation: operation)
        guard response.status == 200 else {
            throw S3Error.from(status: response.status, body: response.body, operation: operation)
        }
        return response.headers["etag"]
    }

    /// GET of a whole object.
    public func get(bucket: String, key: String, credentials: AWSCredentials) async throws(S3Error)
        -> (body: [UInt8], info: S3ObjectInfo)
    {
        let operation = "GET \(bucket)/\(key)"
        let response = try await send("GET", bucket: bucket, key: key, credentials: credentials, operation: operation)
        guard response.status == 200 else {
            throw S3Error.from(status: response.status, body: response.body, operation: operation)
        }
        return (response.body, Self.info(response))
    }

    /// DELETE (204 or 200; a missing object is not an error, as in S3).
    public func delete(bucket: String, key: String, credentials: AWSCredentials) async throws(S3Error) {
        let operation = "DELETE \(bucket)/\(key)"
        let response = try await send(
            "DELETE", bucket: bucket, key: key, credentials: credentials, operation: operation)
        guard response.status == 204 || response.status == 200 else {
            throw S3Error.from(status: response.status, body: response.body, operation: operation)
        }
    }

    /// The keys under `prefix` (ListObjectsV2, following continuation tokens).
    public func list(bucket: String, prefix: String, credentials: AWSCredentials) async throws(S3Error) -> [String] {
        var keys: [String] = []
        var token: String?
        repeat {
            var query = [(name: "list-type", value: "2"), (name: "prefix", value: prefix)]
            if let token { query.append((name: "continuation-token", value: token)) }
            let operation = "LIST \(bucket)/\(prefix)"
            let response = try await send(
                "GET", bucket: bucket, key: "", query: query, credentials: credentials, operation: operation)
            guard response.status == 200 else {
                throw S3Error.from(status: response.status, body: response.body, operation: operation)
            }
            let text = String(decoding: response.body, as: UTF8.self)
            var rest = text[...]
            while let open = rest.range(of: "<Key>"),
                let close = rest.range(of: "</Key>", range: open.upperBound..<rest.endIndex)
            {
                keys.append(String(rest[open.upperBound..<close.lowerBound]))
                rest = rest[close.upperBound...]
            }
            token = S3Error.element("NextContinuationToken", in: text)
        } while token != nil
        return keys
    }

    /// One signed exchange.
    func send(
        _ method: String, bucket: String, key: String, query: [(name: String, value: String)] = [],
        headers extra: [(name: String, value: String)] = [], body: [UInt8] = [], credentials: AWSCredentials,
        operation: String
    ) async throws(S3Error) -> HTTPResponseData {
        let path = endpoint.path(bucket: bucket, key: key)
        var headers = [("host", endpoint.hostHeader(bucket: bucket))] + extra
        headers.append(("x-amz-content-sha256", SigV4.unsignedPayload))
        let signature = SigV4.sign(
            SigV4.Request(
                method: method, path: path, query: query, headers: headers, payloadHash: SigV4.unsignedPayload),
            credentials: credentials, region: region, date: now())
        headers += signature.headers
        if body.isEmpty == false || method == "PUT" || method == "POST" {
            headers.append(("content-length", String(body.count)))
        }
        var url =
            "\(endpoint.scheme)://\(endpoint.hostHeader(bucket: bucket))\(SigV4.encode(path, keepingSlashes: true))"
        if query.isEmpty == false {
            url +=
                "?"
                + query.map {
                    $0.value.isEmpty ? SigV4.encode($0.name) : "\(SigV4.encode($0.name))=\(SigV4.encode($0.value))"
                }
                .joined(separator: "&")
        }
        do {
            return try await transport.send(HTTPRequestData(method: method, url: url, headers: headers, body: body))
        } catch {
            throw S3Error(kind: .retryable, status: 0, code: nil, message: "\(error)", operation: operation)
        }
    }

    static func info(_ response: HTTPResponseData) -> S3ObjectInfo {
        var metadata: [String: String] = [:]
        for (name, value) in response.headers where name.hasPrefix("x-amz-meta-") {
            metadata[String(name.dropFirst("x-amz-meta-".count))] = value
        }
        return S3ObjectInfo(
            size: Int(response.headers["content-length"] ?? "") ?? response.body.count, etag: response.headers["etag"],
            metadata: metadata, serverSideEncryption: response.headers["x-amz-server-side-encryption"])
    }
}
