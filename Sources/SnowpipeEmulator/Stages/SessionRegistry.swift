import Foundation

/// The driver sessions of the emulator (pure state, `now` passed in): a key-pair login gives a session token
/// (1 h) and a master token (4 h); the master token renews the session; expired tokens answer the codes the
/// drivers react to (390112: renew; 390114: log in again).
struct SessionRegistry: Sendable {
    static let tokenSeconds: TimeInterval = 3600
    static let masterSeconds: TimeInterval = 14_400

    struct Session: Sendable {
        var id: Int64
        var user: String
        var token: String
        var master: String
        var tokenExpires: Date
        var masterExpires: Date
    }

    /// Why a token was refused, as Snowflake's code and message.
    struct Refusal: Error, Sendable, Equatable {
        var code: String
        var message: String

        static let sessionExpired = Refusal(
            code: "390112", message: "Your session has expired. Please login again.")
        static let masterExpired = Refusal(
            code: "390114", message: "Authentication token has expired.  The user must authenticate again.")
        static let invalidToken = Refusal(code: "390104", message: "Invalid session token.")
    }

    private var byToken: [String: Session] = [:]
    private var byMaster: [String: String] = [:]
    private var nextID: Int64 = 1_000_001
    /// Logins so far (tests count them).
    private(set) var logins = 0
    /// Renewals so far.
    private(set) var renewals = 0

    mutating func login(user: String, now: Date) -> Session {
        logins += 1
        let session = Session(
            id: nextID, user: user, token: Self.newToken("ST"), master: Self.newToken("MT"),
            tokenExpires: now + Self.tokenSeconds, masterExpires: now + Self.masterSeconds)
        nextID += 1
        byToken[session.token] = session
        byMaster[session.master] = session.token
        return session
    }

    /// The session of `token`, or why not.
    func session(token: String, now: Date) -> Result<Session, Refusal> {
        guard let session = byToken[token] else { return .failure(.invalidToken) }
        guard session.tokenExpires > now else { return .failure(.sessionExpired) }
        return .success(session)
    }

    /// A new session token for the session whose master token is `master`.
    mutating func renew(master: String, oldToken: String, now: Date) -> Result<Session, Refusal> {
        guard let token = byMaster[master], var session = byToken[token] else { return .failure(.masterExpired) }
        guard session.masterExpires > now else { return .failure(.masterExpired) }
        guard oldToken == token else { return .failure(.invalidToken) }
        renewals += 1
        byToken[token] = nil
        session.token = Self.newToken("ST")
        session.tokenExpires = now + Self.tokenSeconds
        byToken[session.token] = session
        byMaster[master] = session.token
        return .success(session)
    }

    mutating func close(token: String) {
        guard let session = byToken.removeValue(forKey: token) else { return }
        byMaster[session.master] = nil
    }

    /// Fault: every session token expires now (the next call answers 390112).
    mutating func expireTokens(now: Date) {
        for key in byToken.keys { byToken[key]!.tokenExpires = now }
    }

    /// Fault: every session and master token expires now (renewals answer 390114: log in again).
    mutating func expireMasters(now: Date) {
        for key in byToken.keys {
            byToken[key]!.tokenExpires = now
            byToken[key]!.masterExpires = now
        }
    }

    private static func newToken(_ kind: String) -> String {
        "ver:1-hint:\(kind)-ETMsDgAAA" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
    }
}
