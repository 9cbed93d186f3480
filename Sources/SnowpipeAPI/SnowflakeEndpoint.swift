import Foundation

/// Where the Snowpipe REST API of an account lives, and how its URLs are spelled.
public struct SnowflakeEndpoint: Sendable, Equatable {
    /// `https` unless plain HTTP was explicitly allowed (for a loopback emulator).
    public var scheme: String
    public var host: String
    public var port: Int

    /// `https://<account>.snowflakecomputing.com:443`, the account taken as given (region part included), as
    /// the official SDKs do.
    public static func forAccount(_ account: String) -> SnowflakeEndpoint {
        SnowflakeEndpoint(scheme: "https", host: "\(account.lowercased()).snowflakecomputing.com", port: 443)
    }

    public init(scheme: String, host: String, port: Int) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// `scheme://host[:port]`, leaving out the scheme's default port.
    public var baseURL: String {
        let defaultPort = (scheme == "https" && port == 443) || (scheme == "http" && port == 80)
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart)\(defaultPort ? "" : ":\(port)")"
    }

    /// `POST .../insertFiles?requestId=...&showSkippedFiles=true`.
    public func insertFilesURL(pipe: String, requestID: String, showSkippedFiles: Bool) -> String {
        url(
            pipe: pipe, operation: "insertFiles",
            query: [
                ("requestId", requestID), ("showSkippedFiles", showSkippedFiles ? "true" : "false"),
            ])
    }

    /// `GET .../insertReport?requestId=...[&beginMark=...]`.
    public func insertReportURL(pipe: String, requestID: String, beginMark: String?) -> String {
        var query = [("requestId", requestID)]
        if let beginMark { query.append(("beginMark", beginMark)) }
        return url(pipe: pipe, operation: "insertReport", query: query)
    }

    /// `GET .../loadHistoryScan?requestId=...&startTimeInclusive=...[&endTimeExclusive=...]`.
    public func loadHistoryScanURL(pipe: String, requestID: String, start: String, end: String?) -> String {
        var query = [("requestId", requestID), ("startTimeInclusive", start)]
        if let end { query.append(("endTimeExclusive", end)) }
        return url(pipe: pipe, operation: "loadHistoryScan", query: query)
    }

    /// `baseURL + path` with a percent-encoded query.
    public func url(path: String, query: [(String, String)]) -> String {
        guard query.isEmpty == false else { return baseURL + path }
        return baseURL + path + "?"
            + query.map { "\(Self.percentEncode($0.0))=\(Self.percentEncode($0.1))" }.joined(separator: "&")
    }

    private func url(pipe: String, operation: String, query: [(String, String)]) -> String {
        let encodedQuery = query.map { "\($0.0)=\(Self.percentEncode($0.1))" }.joined(separator: "&")
        return "\(baseURL)/v1/data/pipes/\(Self.percentEncode(pipe))/\(operation)?\(encodedQuery)"
    }

    /// Percent-encodes everything but RFC 3986 unreserved characters: `DB.SCH."My Pipe"` ->
    /// `DB.SCH.%22My%20Pipe%22`, `2024-01-01T00:00:00+01:00` -> `2024-01-01T00%3A00%3A00%2B01%3A00`. A `/`
    /// in a quoted pipe name is encoded too, so it cannot split the path.
    public static func percentEncode(_ text: String) -> String {
        PercentEncoding.encode(text)
    }
}
