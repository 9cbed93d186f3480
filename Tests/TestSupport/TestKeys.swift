import Foundation
import SnowflakeAuth

/// RSA keys generated once per test process (generation takes ~50-100 ms each).
public enum TestKeys {
    /// The key most tests sign with.
    public static let primary: PrivateKey = try! PrivateKey.generate(bits: 2048)
    /// A second key, for rotation and "wrong key" tests.
    public static let secondary: PrivateKey = try! PrivateKey.generate(bits: 2048)

    /// A signed token for `account`/`user` with `key`, issued at `issuedAt` (seconds) for `lifetime` seconds.
    public static func token(
        account: String = "MYORG-MYACCT",
        user: String = "INGEST_USER",
        key: PrivateKey = primary,
        issuedAt: Date,
        lifetime: Int64 = 3540
    ) -> String {
        let claims = JWTClaims(
            account: account, user: user, fingerprint: key.fingerprint,
            issuedAt: Int64(issuedAt.timeIntervalSince1970), lifetime: lifetime)
        return try! JWT.sign(claims, with: key)
    }
}
