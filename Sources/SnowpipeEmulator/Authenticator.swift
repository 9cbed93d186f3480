import Foundation
import SnowflakeAuth

/// Verifies key-pair JWTs the way Snowflake does and says which user is calling.
///
/// A token is accepted only if it is RS256, `sub` is `ACCOUNT.USER` of a configured user, `iss` is `sub` plus
/// the fingerprint of one of that user's registered keys, the signature verifies with that key, it has not
/// expired, and it is less than an hour past `iat`. Every refusal answers 401 with Snowflake's single message;
/// the precise reason goes in the `X-Emulator-Reason` header so a developer can see it.
struct Authenticator: Sendable {
    /// Tokens issued this far in the future are still accepted (clock skew between client and server).
    static let allowedFutureSkewSeconds: Int64 = 60
    /// Snowflake refuses a JWT more than an hour after its `iat`, whatever its `exp` says.
    static let maximumAgeSeconds: Int64 = 3600

    struct Account: Sendable {
        var keys: [String: PublicKey]  // fingerprint -> key
        var pipes: Set<String>
    }

    let account: String
    private(set) var users: [String: Account]  // "ACCOUNT.USER" -> keys and grants

    init(configuration: EmulatorConfiguration) throws {
        account = AccountIdentifier.jwtAccount(configuration.account)
        users = [:]
        for user in configuration.users {
            try setUser(user.name, publicKeys: try user.resolvingKeyFiles().publicKeys, pipes: Set(user.pipes))
        }
    }

    /// Registers (or replaces) a user's keys and grants. Throws if a key does not parse.
    mutating func setUser(_ name: String, publicKeys: [String], pipes: Set<String>? = nil) throws {
        let qualified = account + "." + name.uppercased()
        var keys: [String: PublicKey] = [:]
        for text in publicKeys {
            let key = try PublicKey(pemOrBase64: text)
            keys[key.fingerprint] = key
        }
        users[qualified] = Account(keys: keys, pipes: pipes ?? users[qualified]?.pipes ?? [])
    }

    /// The qualified user (`ACCOUNT.USER`) and their grants, or the error response to send.
    func authenticate(_ request: EmulatorRequest, now: Date) -> Result<(user: String, pipes: Set<String>), Refusal> {
        guard let header = request.header("authorization"), header.isEmpty == false else {
            return .failure(.missing("no Authorization header"))
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return .failure(.missing("Authorization header is not `Bearer <JWT>`"))
        }
        return verify(parts[1].trimmingCharacters(in: .whitespaces), now: now)
    }

    /// Verifies a key-pair JWT (a Snowpipe REST bearer token, or the `TOKEN` of a session login): the user,
    /// the grants.
    func verify(_ token: String, now: Date) -> Result<(user: String, pipes: Set<String>), Refusal> {
        guard let jwt = JWT.Parsed(token) else { return .failure(.invalid("not a compact JWT")) }
        guard jwt.algorithm == "RS256" else { return .failure(.invalid("alg is \(jwt.algorithm), not RS256")) }
        guard let subject = jwt.subject, let issuer = jwt.issuer else {
            return .failure(.invalid("iss or sub missing"))
        }
        guard let user = users[subject] else {
            return .failure(
                .invalid("sub \(subject) is not a user of account \(account) (account and user must be uppercase)"))
        }
        let prefix = subject + ".SHA256:"
        guard issuer.hasPrefix(prefix) else {
            return .failure(.invalid("iss must be \(subject).SHA256:<fingerprint>"))
        }
        let fingerprint = String(issuer.dropFirst(subject.count + 1))
        guard let key = user.keys[fingerprint] else {
            return .failure(.invalid("fingerprint \(fingerprint) matches no registered public key of \(subject)"))
        }
        guard jwt.isSigned(by: key) else { return .failure(.invalid("signature does not verify")) }
        let nowSeconds = Int64(now.timeIntervalSince1970)
        guard let issuedAt = jwt.issuedAt, let expiresAt = jwt.expiresAt else {
            return .failure(.invalid("iat or exp missing"))
        }
        guard expiresAt > nowSeconds else {
            return .failure(.invalid("token expired at \(expiresAt), now \(nowSeconds)"))
        }
        guard nowSeconds - issuedAt < Self.maximumAgeSeconds else {
            return .failure(.invalid("token issued more than one hour ago"))
        }
        guard issuedAt <= nowSeconds + Self.allowedFutureSkewSeconds else {
            return .failure(.invalid("token issued in the future (iat \(issuedAt), now \(nowSeconds)): clock skew"))
        }
        return .success((subject, user.pipes))
    }

    /// Why a request was refused.
    enum Refusal: Error {
        case missing(String)
        case invalid(String)

        var response: EmulatorResponse {
            switch self {
            case .missing(let reason):
                var response = EmulatorResponse.snowflakeError(
                    400, code: VendorCode.missingToken, message: "Missing or invalid Authorization header.")
                response.headers["X-Emulator-Reason"] = reason
                return response
            case .invalid(let reason):
                var response = EmulatorResponse.snowflakeError(
                    401, code: VendorCode.invalidJWT, message: "JWT token is invalid.")
                response.headers["X-Emulator-Reason"] = reason
                return response
            }
        }
    }
}
