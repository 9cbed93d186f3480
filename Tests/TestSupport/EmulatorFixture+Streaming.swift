import Foundation
import SnowpipeEmulator

/// Snowpipe Streaming calls against the in-process emulator, as the official SDK makes them.
extension EmulatorFixture {
    /// The path of a channel of `pipe` (`DB.SCHEMA.PIPE`), with `/data` for appends.
    public static func channelPath(pipe: String, channel: String, data: Bool = false, suffix: String = "") -> String {
        let parts = pipe.split(separator: ".").map(String.init)
        return "/v2/streaming\(data ? "/data" : "")/databases/\(parts[0])/schemas/\(parts[1])/pipes/\(parts[2])"
            + "/channels/\(channel)\(suffix)"
    }

    /// The path of a pipe-level streaming operation, e.g. `:bulk-channel-status`.
    public static func pipePath(pipe: String, operation: String) -> String {
        let parts = pipe.split(separator: ".").map(String.init)
        return "/v2/streaming/databases/\(parts[0])/schemas/\(parts[1])/pipes/\(parts[2])\(operation)"
    }

    /// `GET /v2/streaming/hostname` with a key-pair JWT.
    public func streamingHostname(token: String? = nil) async -> EmulatorResponse {
        await emulator.handle(
            EmulatorRequest(
                method: "GET", path: "/v2/streaming/hostname",
                headers: [
                    "Authorization": "Bearer \(token ?? self.token())",
                    "X-Snowflake-Authorization-Token-Type": "KEYPAIR_JWT",
                ]))
    }

    /// `POST /oauth/token`: exchanges a key-pair JWT for a scoped token.
    public func exchangeToken(
        scope: String = "localhost", grantType: String = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    ) async -> EmulatorResponse {
        let body =
            "grant_type=\(grantType.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&scope=\(scope)"
        return await emulator.handle(
            EmulatorRequest(
                method: "POST", path: "/oauth/token",
                headers: [
                    "Authorization": "Bearer \(token())", "Content-Type": "application/x-www-form-urlencoded",
                ],
                body: Array(body.utf8)))
    }

    /// A fresh scoped token.
    public func scopedToken() async -> String { await exchangeToken().text }

    /// A request to the ingest host with a scoped token.
    public func ingest(
        _ method: String, _ path: String, query: [String: String] = [:], headers: [String: String] = [:],
        body: [UInt8] = [], scopedToken: String
    ) async -> EmulatorResponse {
        var all = ["Authorization": "Bearer \(scopedToken)", "X-Snowflake-Authorization-Token-Type": "OAUTH"]
        for (name, value) in headers { all[name] = value }
        return await emulator.handle(
            EmulatorRequest(method: method, path: path, query: query, headers: all, body: body))
    }

    /// `PUT …/channels/{channel}` with an optional JSON body.
    public func openChannel(
        _ channel: String, pipe: String = "DB.S.JSON_PIPE", body: String = "{}", scopedToken: String
    ) async -> EmulatorResponse {
        await ingest(
            "PUT", Self.channelPath(pipe: pipe, channel: channel), headers: ["Content-Type": "application/json"],
            body: Array(body.utf8), scopedToken: scopedToken)
    }

    /// `POST …/channels/{channel}/rows` with NDJSON `rows`, optionally compressed.
    public func appendRows(
        _ channel: String, pipe: String = "DB.S.JSON_PIPE", rows: [UInt8], continuationToken: String?,
        startOffset: String? = nil, endOffset: String? = nil, encoding: String? = nil, scopedToken: String
    ) async -> EmulatorResponse {
        var query: [String: String] = [:]
        if let continuationToken { query["continuationToken"] = continuationToken }
        if let startOffset { query["startOffsetToken"] = startOffset }
        if let endOffset { query["endOffsetToken"] = endOffset }
        var headers = ["Content-Type": "application/x-ndjson"]
        if let encoding { headers["Content-Encoding"] = encoding }
        return await ingest(
            "POST", Self.channelPath(pipe: pipe, channel: channel, data: true, suffix: "/rows"), query: query,
            headers: headers, body: rows, scopedToken: scopedToken)
    }

    /// `POST …:bulk-channel-status`: the statuses by channel name.
    public func channelStatuses(
        _ channels: [String], pipe: String = "DB.S.JSON_PIPE", scopedToken: String
    ) async -> [String: [String: Any]] {
        let body = try! JSONSerialization.data(withJSONObject: ["channel_names": channels])
        let response = await ingest(
            "POST", Self.pipePath(pipe: pipe, operation: ":bulk-channel-status"),
            headers: ["Content-Type": "application/json"], body: [UInt8](body), scopedToken: scopedToken)
        return response.object["channel_statuses"] as? [String: [String: Any]] ?? [:]
    }

    /// `DELETE …/channels/{channel}`.
    public func dropChannel(
        _ channel: String, pipe: String = "DB.S.JSON_PIPE", body: String = "", scopedToken: String
    ) async -> EmulatorResponse {
        await ingest(
            "DELETE", Self.channelPath(pipe: pipe, channel: channel), body: Array(body.utf8), scopedToken: scopedToken)
    }
}
