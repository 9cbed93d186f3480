import Foundation

/// How every Snowflake client of the daemon builds a request and reads a refusal, in one place: the `User-Agent`
/// naming the daemon, `Accept`, the credential header in the form its API wants, the body's `Content-Type`, and the
/// error envelope (`{"code", "message", "success"}`) Snowflake answers with. The Snowpipe REST client, the
/// Streaming client (account host and ingest host) and the driver-session client all build through it, so a header
/// Snowflake requires is added once.
enum SnowflakeRequest {
    /// The credential a request carries.
    enum Credential: Sendable {
        /// A key-pair JWT (Snowpipe REST, the Streaming account host): `Bearer`, token type `KEYPAIR_JWT`.
        case keyPairJWT(String)
        /// A scoped OAuth token (the Streaming ingest host): `Bearer`, token type `OAUTH`.
        case oauth(String)
        /// A driver session or master token: `Snowflake Token="…"` (the connector's form).
        case session(String)
        /// None (the login request carries its JWT in the body).
        case none
    }

    /// `snowpiped/<version> (Linux; Swift)`.
    static func userAgent(version: String) -> String {
        "\(SnowpipeClient.userAgentProduct)/\(version) (Linux; Swift)"
    }

    /// A request with the headers every Snowflake API wants; `contentType` is sent when given (a body's type),
    /// `accept` when given, `extra` last.
    static func make(
        _ method: String, url: String, credential: Credential, userAgent: String, accept: String? = "application/json",
        contentType: String? = nil, extra: [(name: String, value: String)] = [], body: [UInt8] = []
    ) -> HTTPRequestData {
        var headers: [(name: String, value: String)] = [("User-Agent", userAgent)]
        if let accept { headers.append(("Accept", accept)) }
        switch credential {
        case .keyPairJWT(let token):
            headers += [("Authorization", "Bearer \(token)"), ("X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT")]
        case .oauth(let token):
            headers += [("Authorization", "Bearer \(token)"), ("X-Snowflake-Authorization-Token-Type", "OAUTH")]
        case .session(let token):
            headers.append(("Authorization", "Snowflake Token=\"\(token)\""))
        case .none:
            break
        }
        if let contentType { headers.append(("Content-Type", contentType)) }
        headers += extra
        return HTTPRequestData(method: method, url: url, headers: headers, body: body)
    }

    /// The error envelope of a refusal, when its body is one.
    static func envelope(_ body: [UInt8]) -> SnowflakeErrorBody? {
        try? JSONDecoder().decode(SnowflakeErrorBody.self, from: Data(body))
    }
}
