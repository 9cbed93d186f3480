import Foundation

/// A request as the emulator sees it, independent of any HTTP server, so tests can call the engine in-process.
public struct EmulatorRequest: Sendable {
    /// `GET`, `POST`, ...
    public var method: String
    /// Percent-decoded path, e.g. `/v1/data/pipes/DB.S.P/insertFiles`.
    public var path: String
    /// Decoded query parameters (the last value wins for repeated names).
    public var query: [String: String]
    /// Header fields, names lowercased.
    public var headers: [String: String]
    /// Request body bytes.
    public var body: [UInt8]

    public init(
        method: String,
        path: String,
        query: [String: String] = [:],
        headers: [String: String] = [:],
        body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        self.body = body
    }

    /// Header value by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// The emulator's answer. `delay` and `dropConnection` are faults the HTTP front end (or an in-process
/// transport) must carry out.
public struct EmulatorResponse: Sendable {
    /// HTTP status code.
    public var status: Int
    /// Header fields.
    public var headers: [String: String]
    /// Body bytes.
    public var body: [UInt8]
    /// Wait this long before answering (a slow server).
    public var delay: Duration?
    /// Close the connection instead of answering.
    public var dropConnection: Bool

    public init(
        status: Int,
        headers: [String: String] = [:],
        body: [UInt8] = [],
        delay: Duration? = nil,
        dropConnection: Bool = false
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
        self.dropConnection = dropConnection
    }

    /// The body as UTF-8 text (for tests and logs).
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// A JSON answer. Keys are sorted so bodies are stable.
    static func json(_ status: Int, _ object: [String: Any?]) -> EmulatorResponse {
        let cleaned = object.mapValues { $0 ?? NSNull() }
        let data =
            (try? JSONSerialization.data(withJSONObject: cleaned, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return EmulatorResponse(
            status: status, headers: ["Content-Type": "application/json"], body: [UInt8](data))
    }

    /// A bare text answer (the streaming hostname and scoped token: the official SDK needs them unwrapped).
    static func text(_ status: Int, _ text: String) -> EmulatorResponse {
        EmulatorResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// A JSON answer from an Encodable body (keys in declaration order).
    static func encoded(_ status: Int, _ value: some Encodable) -> EmulatorResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return EmulatorResponse(
            status: status, headers: ["Content-Type": "application/json"], body: [UInt8](data))
    }

    /// An error in the envelope both official SDKs parse: `{"data","code","message","success","headers"}`.
    static func snowflakeError(_ status: Int, code: String, message: String) -> EmulatorResponse {
        json(status, ["data": nil, "code": code, "message": message, "success": false, "headers": nil])
    }
}

/// Vendor codes used in error envelopes. Only 390144 is confirmed by Snowflake's documentation; the others are
/// Snowflake's codes for the same conditions in its SQL API and are stable here so clients can test on them.
public enum VendorCode {
    /// "JWT token is invalid." (401)
    public static let invalidJWT = "390144"
    /// Missing or malformed Authorization header (400).
    public static let missingToken = "390101"
    /// Object does not exist or not authorized (404).
    public static let objectNotFound = "002003"
    /// Request rejected as invalid (400).
    public static let invalidRequest = "391900"
    /// Unsupported content type (415).
    public static let unsupportedMediaType = "391901"
    /// Too many requests (429).
    public static let rateLimited = "391902"
    /// Internal error (500).
    public static let internalError = "391903"
}
