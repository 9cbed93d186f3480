import Foundation
import SnowflakeAuth

/// The scoped tokens `POST /oauth/token` hands out for the ingest host: a distinct token on every exchange (the
/// official SDK 1.9.1 loops on the exchange when it gets the same string back), each a JWT whose `exp` the SDK
/// reads to schedule its renewal. The server keeps what each token grants; its signature is random, not
/// verifiable, so a token is good only at the emulator that issued it (a restart forgets them: clients get 401
/// and exchange again, as after a real token revocation).
struct ScopedTokens: Sendable {
    /// A scoped token lives this long (Snowflake's scoped tokens last an hour).
    static let lifetimeSeconds: Int64 = 3600

    /// What a token grants.
    struct Grant: Sendable, Equatable {
        /// `ACCOUNT.USER`.
        var user: String
        /// Canonical pipe names the user may stream into.
        var pipes: Set<String>
        /// The ingest host the token is scoped to.
        var scope: String
        /// Seconds since 1970.
        var expiresAt: Int64
    }

    private var grants: [String: Grant] = [:]
    private var issued: Int64 = 0

    /// Mints a new token for `user`, scoped to `scope`, and forgets expired ones.
    mutating func mint(user: String, pipes: Set<String>, scope: String, now: Date) -> String {
        let nowSeconds = Int64(now.timeIntervalSince1970)
        grants = grants.filter { $0.value.expiresAt > nowSeconds }
        issued += 1
        let expiresAt = nowSeconds + Self.lifetimeSeconds
        let header = #"{"alg":"HS256","typ":"JWT"}"#
        let claims =
            #"{"iss":"snowpipe-emulator","sub":"\#(user)","scope":"\#(scope)","iat":\#(nowSeconds),"#
            + #""exp":\#(expiresAt),"jti":"\#(issued)"}"#
        var random = SystemRandomNumberGenerator()
        let signature = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        let token = [Array(header.utf8), Array(claims.utf8), signature].map { Base64URL.encode($0) }.joined(
            separator: ".")
        grants[token] = Grant(user: user, pipes: pipes, scope: scope, expiresAt: expiresAt)
        return token
    }

    /// What `token` grants at `now`, or why it is refused.
    func grant(for token: String, now: Date) -> Result<Grant, StreamingError> {
        guard let grant = grants[token] else {
            return .failure(
                .unauthorized(
                    "The scoped token is not valid here: exchange a key-pair JWT for one at POST /oauth/token"))
        }
        guard grant.expiresAt > Int64(now.timeIntervalSince1970) else {
            return .failure(.unauthorized("The scoped token has expired: exchange a key-pair JWT for a new one"))
        }
        return .success(grant)
    }
}
