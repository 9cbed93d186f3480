/// An HTTP request as the client builds it, independent of any HTTP library.
public struct HTTPRequestData: Sendable, Equatable {
    public var method: String
    /// Absolute URL, already percent-encoded.
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, url: String, headers: [(name: String, value: String)], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// First value of a header (case-insensitive name).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public static func == (lhs: HTTPRequestData, rhs: HTTPRequestData) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map { "\($0.name): \($0.value)" } == rhs.headers.map { "\($0.name): \($0.value)" }
    }
}

/// An HTTP answer.
public struct HTTPResponseData: Sendable {
    public var status: Int
    /// Header fields, names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        self.body = body
    }
}

/// Why no HTTP answer arrived.
public enum TransportError: Error, Sendable, Equatable {
    /// The host name did not resolve.
    case unresolvableHost(String)
    /// Connecting failed (refused, unreachable).
    case connectFailed(String)
    /// The connection closed or reset before a complete answer.
    case connectionLost(String)
    /// No answer within the timeout.
    case timeout
    /// TLS failed (certificate not trusted, wrong host name, handshake error).
    case tls(String)
    /// Anything else, described.
    case other(String)
}

/// The seam between the Snowpipe client and the network.
///
/// Contract: `send` performs exactly one HTTP exchange (no retries, no redirects followed silently). It
/// returns any answer that arrived, whatever its status, and throws `TransportError` only when none did.
/// Implementations must be safe to call concurrently.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequestData) async throws(TransportError) -> HTTPResponseData
}
