import Foundation
import IngestCore

/// The Snowpipe Streaming v2 REST client (`snowpipe-streaming-rest-api.txt`): the ingest host and a scoped token
/// from the account host (key-pair JWT), then channels on the ingest host (scoped token). Each call is one HTTP
/// exchange: the caller's `ChannelPlanner` decides retries and reopens. A 401 renews the scoped token once and
/// repeats the call. Failures are `SnowpipeError`s naming the operation, the pipe, the requestId, the HTTP
/// status and the server's `{"code","message"}`.
public actor StreamingClient {
    /// A scoped token is renewed this long before it expires.
    public static let renewalMargin = 300.0

    public let account: SnowflakeEndpoint
    public let transport: any HTTPTransport
    /// The key-pair JWTs for the account host.
    public let jwt: TokenSource
    let userAgent: String
    let now: @Sendable () -> Date
    private var ingest: SnowflakeEndpoint?
    private var scoped: (token: String, expiresAt: Double)?

    public init(
        account: SnowflakeEndpoint, transport: any HTTPTransport, jwt: TokenSource, version: String,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.account = account
        self.transport = transport
        self.jwt = jwt
        self.userAgent = SnowflakeRequest.userAgent(version: version)
        self.now = now
    }

    /// Opens (or reopens) `channel` on `pipe` (`DB.SCHEMA.PIPE`): its continuation token and status.
    public func openChannel(pipe: String, channel: String) async throws(SnowpipeError) -> OpenChannelResponse {
        try await call(
            "openChannel", pipe: pipe, method: "PUT", path: channelPath(pipe, channel), body: Array("{}".utf8))
    }

    /// The offset tokens of an append's first and last rows.
    public struct ChunkOffsets: Sendable, Equatable {
        public var first: String
        public var last: String
        public init(first: String, last: String) {
            self.first = first
            self.last = last
        }
    }

    /// Appends NDJSON `rows` (already encoded with `encoding`, e.g. `zstd`) with the chunk's offset tokens, under
    /// both names a server may read: `offsetToken` (the last row's, the API page's parameter) and
    /// `startOffsetToken`/`endOffsetToken` (what the official SDK 1.9.1 sends; it never sends `offsetToken`:
    /// `reference/fidelity-facts.md`). The channel's committed token is the last row's under either name.
    public func appendRows(
        pipe: String, channel: String, continuationToken: String, offsets: ChunkOffsets, rows: [UInt8],
        encoding: String?
    ) async throws(SnowpipeError) -> AppendRowsResponse {
        return try await call(
            "appendRows", pipe: pipe, method: "POST",
            path: "/v2/streaming/data" + String(channelPath(pipe, channel).dropFirst("/v2/streaming".count)) + "/rows",
            query: [
                ("continuationToken", continuationToken), ("offsetToken", offsets.last),
                ("startOffsetToken", offsets.first), ("endOffsetToken", offsets.last),
            ], contentType: "application/x-ndjson", extra: encoding.map { [("Content-Encoding", $0)] } ?? [],
            body: rows)
    }

    /// The status of `channel` (nil when the server does not know it).
    public func channelStatus(pipe: String, channel: String) async throws(SnowpipeError) -> ChannelStatus? {
        let body = Array(#"{"channel_names":["#.utf8) + quoted(channel) + Array("]}".utf8)
        let response: BulkChannelStatusResponse = try await call(
            "channelStatus", pipe: pipe, method: "POST", path: pipePath(pipe) + ":bulk-channel-status", body: body)
        return Self.status(of: channel, in: response.channelStatuses)
    }

    /// `channel`'s entry of a bulk status answer: by its exact name, else by a name equal but for case (an
    /// unquoted identifier's canonical form is upper case, and the answer may key it so; a miss would reopen the
    /// channel on every poll and never see a commit).
    static func status(of channel: String, in statuses: [String: ChannelStatus]) -> ChannelStatus? {
        if let exact = statuses[channel] { return exact }
        let folded = channel.uppercased()
        return statuses.first { $0.key.uppercased() == folded }?.value
    }

    /// The ingest host as the SDK uses it: `_` in the name the hostname endpoint returns becomes `-` (an underscore
    /// is not valid in a DNS host name; the SDK's `replace_underscore_with_dash_in_host`, the tutorial likewise:
    /// `reference/fidelity-facts.md`). The scoped token's scope is this same dashed host.
    static func dashedHost(_ host: String) -> String {
        host.replacingOccurrences(of: "_", with: "-")
    }

    /// Drops `channel` with its server-side state.
    public func dropChannel(pipe: String, channel: String) async throws(SnowpipeError) {
        let _: EmptyAnswer = try await call(
            "dropChannel", pipe: pipe, method: "DELETE", path: channelPath(pipe, channel))
    }

    /// The ingest host and a valid scoped token, exchanged now when there is none or it is about to expire.
    public func scopedToken(pipe: String) async throws(SnowpipeError) -> (endpoint: SnowflakeEndpoint, token: String) {
        if let ingest, let scoped, scoped.expiresAt - Self.renewalMargin > now().timeIntervalSince1970 {
            return (ingest, scoped.token)
        }
        return try await exchange(pipe: pipe)
    }

    /// Asks the account host for the ingest host (first time) and a new scoped token.
    @discardableResult
    public func exchange(pipe: String) async throws(SnowpipeError) -> (endpoint: SnowflakeEndpoint, token: String) {
        let requestID = UUID().uuidString.lowercased()
        func failure(_ kind: SnowpipeError.Kind, _ operation: String, _ body: [UInt8] = []) -> SnowpipeError {
            let envelope = SnowflakeRequest.envelope(body)
            return SnowpipeError(
                kind: kind, operation: operation, pipe: pipe, requestID: requestID, code: envelope?.code,
                message: envelope?.message)
        }
        let keyPairToken: String
        do {
            keyPairToken = try await jwt.current()
        } catch {
            throw failure(.authentication("\(error)"), "hostname")
        }
        /// One account-host call whose 200 answer is bare text (or `{field: text}`).
        func text(
            _ operation: String, _ method: String, _ path: String, accept: String? = nil, contentType: String? = nil,
            _ body: [UInt8] = [], field: String
        ) async throws(SnowpipeError) -> String {
            let response: HTTPResponseData
            do {
                response = try await transport.send(
                    SnowflakeRequest.make(
                        method, url: account.baseURL + path + "?requestId=\(requestID)",
                        credential: .keyPairJWT(keyPairToken), userAgent: userAgent,
                        accept: accept, contentType: contentType, body: body))
            } catch {
                throw failure(.transport(error), operation)
            }
            guard response.status == 200 else {
                throw failure(.http(status: response.status), operation, response.body)
            }
            guard let value = Self.bareOrField(response.body, field: field), value.isEmpty == false else {
                throw failure(.malformedResponse("the \(field) answer is empty"), operation)
            }
            return value
        }
        let host: SnowflakeEndpoint
        if let ingest {
            host = ingest
        } else {
            let name = try await text(
                "hostname", "GET", "/v2/streaming/hostname", accept: "application/json", field: "hostname")
            host = SnowflakeEndpoint(scheme: account.scheme, host: Self.dashedHost(name), port: account.port)
            ingest = host
        }
        let form =
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&scope="
            + SnowflakeEndpoint.percentEncode(host.host)
        let token = try await text(
            "scopedToken", "POST", "/oauth/token", contentType: "application/x-www-form-urlencoded", Array(form.utf8),
            field: "token")
        let expiresAt = Self.expiry(ofJWT: token) ?? now().timeIntervalSince1970 + 3600
        scoped = (token, expiresAt)
        return (host, token)
    }

    private func call<Response: Decodable>(
        _ operation: String, pipe: String, method: String, path: String, query: [(String, String)] = [],
        contentType: String = "application/json", extra: [(name: String, value: String)] = [], body: [UInt8] = []
    ) async throws(SnowpipeError) -> Response {
        let requestID = UUID().uuidString.lowercased()
        let queryText = (query + [("requestId", requestID)]).map { "\($0.0)=\(SnowflakeEndpoint.percentEncode($0.1))" }
            .joined(separator: "&")
        var renewal = CredentialRenewal(canStartOver: false)
        while true {
            let (endpoint, token) = try await scopedToken(pipe: pipe)
            let response: HTTPResponseData
            do {
                response = try await transport.send(
                    SnowflakeRequest.make(
                        method, url: endpoint.baseURL + path + "?" + queryText, credential: .oauth(token),
                        userAgent: userAgent, contentType: contentType, extra: extra, body: body))
            } catch {
                throw SnowpipeError(kind: .transport(error), operation: operation, pipe: pipe, requestID: requestID)
            }
            if response.status == 401, renewal.refused(.expired) == .renew {
                scoped = nil
                continue
            }
            guard (200..<300).contains(response.status) else {
                let envelope = SnowflakeRequest.envelope(response.body)
                var error = SnowpipeError(
                    kind: .http(status: response.status), operation: operation, pipe: pipe, requestID: requestID,
                    code: envelope?.code, message: envelope?.message)
                error.retryAfter = RetryPolicy.parseRetryAfter(response.headers["retry-after"])
                error.renewedToken = renewal.renewed
                throw error
            }
            if Response.self == EmptyAnswer.self, let empty = EmptyAnswer() as? Response { return empty }
            do {
                return try JSONDecoder().decode(Response.self, from: Data(response.body))
            } catch {
                throw SnowpipeError(
                    kind: .malformedResponse("HTTP \(response.status) with a body that is not the expected JSON"),
                    operation: operation, pipe: pipe, requestID: requestID)
            }
        }
    }

    /// `/v2/streaming/databases/{db}/schemas/{schema}/pipes/{pipe}` for `DB.SCHEMA.PIPE`.
    private func pipePath(_ pipe: String) -> String {
        let parts = Self.nameParts(pipe).map(SnowflakeEndpoint.percentEncode)
        return "/v2/streaming/databases/\(parts[0])/schemas/\(parts[1])/pipes/\(parts[2])"
    }

    private func channelPath(_ pipe: String, _ channel: String) -> String {
        pipePath(pipe) + "/channels/" + SnowflakeEndpoint.percentEncode(channel)
    }

    private func quoted(_ text: String) -> [UInt8] {
        (try? JSONEncoder().encode(text)).map(Array.init) ?? Array("\"\"".utf8)
    }

    /// The three parts of `DB.SCHEMA.PIPE`, double quotes removed (a quoted part may hold dots).
    static func nameParts(_ name: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var iterator = name.makeIterator()
        while let character = iterator.next() {
            if character == "\"" {
                quoted.toggle()
            } else if character == ".", quoted == false {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        while parts.count < 3 { parts.insert("", at: 0) }
        return parts
    }

    /// A bare-text answer (what the server sends), or the named field of a JSON object (what the reference shows).
    static func bareOrField(_ body: [UInt8], field: String) -> String? {
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("{"), let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
            return object[field] as? String
        }
        if text.hasPrefix("\""), let value = try? JSONDecoder().decode(String.self, from: Data(body)) { return value }
        return text
    }

    /// The `exp` claim (seconds) of a JWT, read without verifying it, as the official SDK does.
    static func expiry(ofJWT token: String) -> Double? {
        let parts = token.split(separator: ".")
        guard parts.count == 3 else { return nil }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64),
            let claims = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let exp = claims["exp"] as? Double
        else { return nil }
        return exp > 1e11 ? exp / 1000 : exp
    }
}

/// An answer whose body does not matter.
struct EmptyAnswer: Decodable, Sendable {}
