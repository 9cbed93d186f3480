/// A Snowpipe Streaming v2 request, recognised from its method and path.
///
/// Database, schema, pipe and channel names are kept as written in the path; they are matched
/// case-insensitively later (the REST reference says path names are case-insensitive).
enum StreamingRoute: Equatable, Sendable {
    /// `GET /v2/streaming/hostname` (account host, key-pair JWT).
    case hostname
    /// `POST /oauth/token` (account host, key-pair JWT): a scoped token for the ingest host.
    case scopedToken
    /// `POST …/pipes/{pipe}:pipe-info` (SDK-private; the official SDK needs it before opening channels).
    case pipeInfo(PipeName)
    /// `POST …/pipes/{pipe}:bulk-channel-status`.
    case channelStatus(PipeName)
    /// `PUT …/pipes/{pipe}/channels/{channel}`.
    case openChannel(PipeName, channel: String)
    /// `DELETE …/pipes/{pipe}/channels/{channel}`.
    case dropChannel(PipeName, channel: String)
    /// `POST /v2/streaming/data/…/pipes/{pipe}/channels/{channel}/rows`.
    case appendRows(PipeName, channel: String)
    /// `POST /v2/streaming/data/…/pipes/{pipe}/channels/{channel}/filebuffer` (SDK-private, the SDK's file mode:
    /// rows in a file it wrote to the pipe's stage). The SDK 1.9.1 binary also names `/rows/filebuffer`; it was
    /// seen sending `/filebuffer` only, and both are taken.
    case appendFileFragments(PipeName, channel: String)

    /// A pipe as named in a path: `databases/{database}/schemas/{schema}/pipes/{pipe}`.
    struct PipeName: Equatable, Sendable, CustomStringConvertible {
        var database: String
        var schema: String
        var pipe: String
        var description: String { "\(database).\(schema).\(pipe)" }
    }

    /// The fault-injection endpoint this route belongs to.
    var endpoint: Endpoint {
        switch self {
        case .hostname: return .hostname
        case .scopedToken: return .scopedToken
        case .pipeInfo: return .pipeInfo
        case .channelStatus: return .channelStatus
        case .openChannel: return .openChannel
        case .dropChannel: return .dropChannel
        case .appendRows, .appendFileFragments: return .appendRows
        }
    }

    /// True for the endpoints served by the account host (key-pair JWT); the others are the ingest host's
    /// (scoped token).
    var isAccountEndpoint: Bool {
        switch self {
        case .hostname, .scopedToken: return true
        default: return false
        }
    }

    /// The route for `method` and a percent-decoded `path`, or nil when it is not a streaming endpoint.
    init?(method: String, path: String) {
        switch (method, path) {
        case ("GET", "/v2/streaming/hostname"):
            self = .hostname
            return
        case ("POST", "/oauth/token"):
            self = .scopedToken
            return
        default: break
        }
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0].isEmpty, parts[1] == "v2", parts[2] == "streaming" else { return nil }
        parts.removeFirst(3)
        let isData = parts.first == "data"
        if isData { parts.removeFirst() }
        guard parts.count >= 6, parts[0] == "databases", parts[2] == "schemas", parts[4] == "pipes" else {
            return nil
        }
        let database = parts[1]
        let schema = parts[3]
        let rest = Array(parts.dropFirst(5))
        if isData {
            guard method == "POST", rest.count >= 4, rest[1] == "channels", !rest[2].isEmpty else { return nil }
            let pipe = PipeName(database: database, schema: schema, pipe: rest[0])
            switch rest.dropFirst(3) {
            case ["rows"]: self = .appendRows(pipe, channel: rest[2])
            case ["filebuffer"], ["rows", "filebuffer"]: self = .appendFileFragments(pipe, channel: rest[2])
            default: return nil
            }
            return
        }
        if rest.count == 1, let colon = rest[0].lastIndex(of: ":") {
            let pipe = PipeName(database: database, schema: schema, pipe: String(rest[0][..<colon]))
            switch (method, rest[0][rest[0].index(after: colon)...]) {
            case ("POST", "pipe-info"): self = .pipeInfo(pipe)
            case ("POST", "bulk-channel-status"): self = .channelStatus(pipe)
            default: return nil
            }
            return
        }
        guard rest.count == 3, rest[1] == "channels", !rest[2].isEmpty else { return nil }
        let pipe = PipeName(database: database, schema: schema, pipe: rest[0])
        switch method {
        case "PUT": self = .openChannel(pipe, channel: rest[2])
        case "DELETE": self = .dropChannel(pipe, channel: rest[2])
        default: return nil
        }
    }
}
