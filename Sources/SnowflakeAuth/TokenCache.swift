import Foundation

/// Mints and caches the key-pair JWT, as the official SDKs do: 59-minute lifetime, renewed once 54 minutes
/// have passed, renewed at once on request (after a 401, e.g. when the key was rotated).
///
/// Key rotation: it may hold two keys, the one in use and the next (Snowflake's `RSA_PUBLIC_KEY` and
/// `RSA_PUBLIC_KEY_2` slots). A renewal after a refusal signs with the other key, so a daemon configured with
/// both keeps working across `ALTER USER … UNSET RSA_PUBLIC_KEY` without a restart; `onSwitch` says so.
public actor TokenCache {
    /// Lifetime written into `exp`.
    public static let lifetime: Int64 = 59 * 60
    /// Age after which the next request gets a fresh token.
    public static let renewAfter: TimeInterval = 54 * 60

    private let keys: [PrivateKey]
    private var active = 0
    private let account: String
    private let user: String
    private let now: @Sendable () -> Date
    private let onSwitch: @Sendable (_ refused: String, _ next: String) -> Void
    private var cached: (token: String, issuedAt: Date)?

    /// - Parameter now: the wall clock (injected so tests can move it).
    public init(key: PrivateKey, account: String, user: String, now: @escaping @Sendable () -> Date = { Date() }) {
        self.init(keys: [key], account: account, user: user, now: now)
    }

    /// - Parameter keys: the key in use first, then the next one (at most two are useful).
    /// - Parameter onSwitch: told the fingerprints when a refusal moves signing to the other key.
    public init(
        keys: [PrivateKey], account: String, user: String, now: @escaping @Sendable () -> Date = { Date() },
        onSwitch: @escaping @Sendable (_ refused: String, _ next: String) -> Void = { _, _ in }
    ) {
        precondition(keys.isEmpty == false, "a token cache needs a key")
        self.keys = keys
        self.account = account
        self.user = user
        self.now = now
        self.onSwitch = onSwitch
    }

    /// The fingerprint the first key's tokens carry in `iss`.
    public nonisolated var fingerprint: String { keys[0].fingerprint }

    /// The fingerprint of the key tokens are signed with now.
    public var activeFingerprint: String { keys[active].fingerprint }

    /// The key tokens are signed with now (for a short-lived login JWT of its own).
    public var activeKey: PrivateKey { keys[active] }

    /// The cached token, or a new one when there is none or it is 54 minutes old.
    public func token() throws(KeyError) -> String {
        let current = now()
        if let cached, current.timeIntervalSince(cached.issuedAt) < Self.renewAfter,
            current >= cached.issuedAt
        {
            return cached.token
        }
        return try mint()
    }

    /// A freshly minted token, replacing the cached one, after Snowflake refused the cached one: with two keys,
    /// signed with the other key.
    @discardableResult
    public func renew() throws(KeyError) -> String {
        if keys.count > 1 {
            let refused = keys[active].fingerprint
            active = (active + 1) % keys.count
            onSwitch(refused, keys[active].fingerprint)
        }
        return try mint()
    }

    private func mint() throws(KeyError) -> String {
        let issuedAt = now()
        let key = keys[active]
        let claims = JWTClaims(
            account: account, user: user, fingerprint: key.fingerprint,
            issuedAt: Int64(issuedAt.timeIntervalSince1970), lifetime: Self.lifetime)
        let token = try JWT.sign(claims, with: key)
        cached = (token, issuedAt)
        return token
    }
}
