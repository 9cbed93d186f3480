import Foundation
import Glibc
import HTTPSeam
import OpenSSLSupport

/// AWS Signature Version 4 for S3, written here because no Swift AWS SDK builds in this project's environment.
/// Pure: the caller gives the instant. S3 rules: the path is encoded once (never normalised, never
/// double-encoded), every header given is signed (the caller leaves out what it does not want signed), and the
/// payload hash is either the body's SHA-256 in hex or `UNSIGNED-PAYLOAD`.
public enum SigV4 {
    /// The payload hash S3 accepts instead of the body's SHA-256 (the body is then not covered).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// A request to sign.
    public struct Request: Sendable, Equatable {
        public var method: String
        /// The path as characters (not percent-encoded): `/bucket/key with space`.
        public var path: String
        /// Query parameters, not encoded; a parameter without a value (`?uploads`) has "".
        public var query: [(name: String, value: String)]
        /// Headers to sign, `host` included (with the port when it is not the scheme's default).
        public var headers: [(name: String, value: String)]
        /// Hex SHA-256 of the body, or `unsignedPayload`.
        public var payloadHash: String

        public init(
            method: String, path: String, query: [(name: String, value: String)] = [],
            headers: [(name: String, value: String)], payloadHash: String
        ) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.payloadHash = payloadHash
        }

        public static func == (lhs: Request, rhs: Request) -> Bool {
            lhs.method == rhs.method && lhs.path == rhs.path && lhs.payloadHash == rhs.payloadHash
                && lhs.query.map { [$0.name, $0.value] } == rhs.query.map { [$0.name, $0.value] }
                && lhs.headers.map { [$0.name, $0.value] } == rhs.headers.map { [$0.name, $0.value] }
        }
    }

    /// What signing produced: the headers to add, and the intermediate texts (for tests and diagnosis).
    public struct Signature: Sendable {
        /// `x-amz-date`, `x-amz-security-token` (temporary credentials) and `authorization`.
        public var headers: [(name: String, value: String)]
        public var canonicalRequest: String
        public var stringToSign: String
        /// Hex HMAC-SHA256.
        public var signature: String
    }

    /// Signs `request` for `service` in `region` at `date`. `x-amz-date` and, for temporary credentials,
    /// `x-amz-security-token` are added to the signed headers; send the returned headers with the request.
    public static func sign(
        _ request: Request, credentials: AWSCredentials, region: String, service: String = "s3", date: Date
    ) -> Signature {
        let stamp = timestamp(date)
        var request = request
        request.headers.append(("x-amz-date", stamp))
        var added = [(name: "x-amz-date", value: stamp)]
        if let token = credentials.sessionToken {
            request.headers.append(("x-amz-security-token", token))
            added.append(("x-amz-security-token", token))
        }
        let (canonical, signedHeaders) = canonicalRequest(request)
        let day = String(stamp.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = ["AWS4-HMAC-SHA256", stamp, scope, hex(SHA256Digest.hash(Array(canonical.utf8)))]
            .joined(separator: "\n")
        var key = Array("AWS4\(credentials.secretAccessKey)".utf8)
        for part in [day, region, service, "aws4_request"] {
            key = HMACSHA256.authenticate(Array(part.utf8), key: key)
        }
        let signature = hex(HMACSHA256.authenticate(Array(toSign.utf8), key: key))
        added.append(
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), "
                    + "Signature=\(signature)"
            ))
        return Signature(headers: added, canonicalRequest: canonical, stringToSign: toSign, signature: signature)
    }

    /// The canonical request and the `SignedHeaders` list.
    static func canonicalRequest(_ request: Request) -> (String, String) {
        let encoded: [(String, String)] = request.query.map { (encode($0.name), encode($0.value)) }
        let sorted = encoded.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
        let query = sorted.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        var headers: [String: [String]] = [:]
        for (name, value) in request.headers {
            headers[name.lowercased(), default: []].append(trimmed(value))
        }
        let names = headers.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(headers[$0]!.joined(separator: ","))\n" }.joined()
        let signed = names.joined(separator: ";")
        let path = encode(request.path.isEmpty ? "/" : request.path, keepingSlashes: true)
        let parts: [String] = [request.method, path, query, canonicalHeaders, signed, request.payloadHash]
        let text = parts.joined(separator: "\n")
        return (text, signed)
    }

    /// RFC 3986 percent-encoding of UTF-8 (`PercentEncoding.encode`: only `A-Z a-z 0-9 - . _ ~` stay
    /// as they are), per path segment when `keepingSlashes`.
    public static func encode(_ text: String, keepingSlashes: Bool = false) -> String {
        guard keepingSlashes else { return PercentEncoding.encode(text) }
        return text.split(separator: "/", omittingEmptySubsequences: false)
            .map { PercentEncoding.encode(String($0)) }.joined(separator: "/")
    }

    /// A header value with surrounding spaces removed and inner runs of spaces collapsed to one.
    static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC (glibc's `gmtime_r`: Foundation's calendar costs more than the rest of the
    /// signature).
    public static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T\(two(parts.tm_hour))"
            + "\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Lower-case hex.
    public static func hex(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
