import Foundation

/// Mints and caches the key-pair JWT, as the official SDKs do: 59-minute lifetime, renewed once 54 minutes
/// have passed, renewed at once on request (after a 401, e.g. when the key was rotated).
public actor TokenCache {
    /// Lifetime written into `exp`.
    public static let lifetime: Int64 = 59 * 60
    /// Age after which the next request gets a fresh token.
    public static let renewAfter: TimeInterval = 54 * 60

    private let key: PrivateKey
    private let account: String
    private let user: String
    private let now: @Sendable () -> Date
    private var cached: (token: String, issuedAt: Date)?

    /// - Parameter now: the wall clock (injected so tests can move it).
    public init(key: PrivateKey, account: String, user: String, now: @escaping @Sendable () -> Date = { Date() }) {
        self.key = key
        self.account = account
        self.user = user
        self.now = now
    }

    /// The fingerprint the tokens carry in `iss`.
    public nonisolated var fingerprint: String { key.fingerprint }

    /// The cached token, or a new one when there is none or it is 54 minutes old.
    public func token() throws(KeyError) -> String {
        let current = now()
        if let cached, current.timeIntervalSince(cached.issuedAt) < Self.renewAfter,
            current >= cached.issuedAt
        {
            return cached.token
        }
        return try renew()
    }

    /// A freshly minted token, replacing the cached one.
    @discardableResult
    public func renew() throws(KeyError) -> String {
        let issuedAt = now()
        let claims = JWTClaims(
            account: account, user: user, fingerprint: key.fingerprint,
            issuedAt: Int64(issuedAt.timeIntervalSince1970), lifetime: Self.lifetime)
        let token = try JWT.sign(claims, with: key)
        cached = (token, issuedAt)
        return token
    }
}
