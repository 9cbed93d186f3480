import Foundation
import IngestCore

/// The drivers' session protocol, as much as a `PUT` into an internal stage needs (reference/
/// internal-stage-notes.md §1-§2, §7): a key-pair login (a 60 s JWT in the body), the session token on every
/// call, renewal with the master token on 390112, a new login on 390114 or a failed renewal, and `query-request`
/// for the `PUT` statement. Each public call makes at most one renewal and one new login; the caller owns other
/// retries.
public actor SessionClient {
    /// `CLIENT_APP_ID` and `CLIENT_APP_VERSION` sent at login: the Python connector's, whose login body and PUT
    /// protocol this client follows (`fidelity-facts.md`, "Driver login"; internal-stage-notes.md §1.1). Whether
    /// Snowflake accepts an id it does not know cannot be checked offline, so the client names a driver it knows and
    /// says who it really is in `CLIENT_ENVIRONMENT.APPLICATION`, where the connector's own `application` parameter
    /// goes.
    public static let clientAppID = "PythonConnector"
    public static let clientAppVersion = "4.8.1"

    public let endpoint: SnowflakeEndpoint
    let transport: any HTTPTransport
    /// A fresh login JWT (60 s) for each login.
    let loginToken: @Sendable () async throws -> String
    let account: String
    let user: String
    let version: String
    private var session: (token: String, master: String)?
    private var sequence = 0
    /// Logins so far (diagnostics and tests).
    public private(set) var logins = 0

    public init(
        endpoint: SnowflakeEndpoint, transport: any HTTPTransport, account: String, user: String, version: String,
        loginToken: @escaping @Sendable () async throws -> String
    ) {
        self.endpoint = endpoint
        self.transport = transport
        self.account = account
        self.user = user
        self.version = version
        self.loginToken = loginToken
    }

    /// Runs `PUT 'file://<source>' '@<stage>[/<path>]' SOURCE_COMPRESSION=… AUTO_COMPRESS=FALSE OVERWRITE=FALSE`
    /// and returns where and how to upload. Both the source and the target are single-quoted string literals:
    /// Snowflake's PUT page requires the quotes when a path has special characters or spaces, and the target's
    /// path carries the watched folders' names (any character a file system allows).
    public func put(source: String, stage: String, path: String, sourceCompression: String)
        async throws(SessionError) -> PutAnswer
    {
        let target = Self.quoted(path.isEmpty ? "@\(stage)" : "@\(stage)/\(path)")
        let sql =
            "PUT \(Self.quoted("file://" + source)) \(target) SOURCE_COMPRESSION=\(sourceCompression) "
            + "AUTO_COMPRESS=FALSE OVERWRITE=FALSE PARALLEL=1"
        do {
            let data: PutPayload = try await query(sql)
            return try PutAnswer(data)
        } catch var error {
            error.operation = "PUT into @\(stage)"
            throw error
        }
    }

    /// The login's `ACCOUNT_NAME`: the account as configured, cut at its first dot, as the connector's
    /// `parse_account` does (`xy12345.us-east-2.aws` -> `xy12345`; the region and cloud are the host's business).
    static func accountName(_ account: String) -> String {
        String(account.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// `text` as a Snowflake single-quoted string literal: a backslash and a quote escaped with a backslash (the
    /// escapes Snowflake's string constants document; a bare backslash would start an escape and be dropped).
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// Logs out (errors ignored, as the drivers do).
    public func close() async {
        guard let session else { return }
        self.session = nil
        let _: SessionAnswer<IgnoredPayload>? = try? await exchange(
            "POST", "/session", query: [("delete", "true")], token: session.token, body: LogoutRequest())
    }

    /// Runs `sql` in the session: on 390112 the session is renewed once (a failed renewal logs in again); on
    /// 390114 or 390104 (or 390112 after a renewal) it logs in again once; any other refusal is thrown.
    func query<Payload: Decodable>(_ sql: String) async throws(SessionError) -> Payload {
        var renewal = CredentialRenewal(canStartOver: true)
        while true {
            if session == nil { try await login() }
            sequence += 1
            let answer: SessionAnswer<Payload> = try await exchange(
                "POST", "/queries/v1/query-request", query: [("requestId", UUID().uuidString.lowercased())],
                token: session?.token, body: QueryRequest(sqlText: sql, sequenceId: sequence),
                accept: "application/json")
            if answer.success {
                guard let data = answer.data else { throw SessionError(.malformed("no data in a successful answer")) }
                return data
            }
            let code = answer.code ?? "?"
            let refusal: CredentialRenewal.Refusal? =
                switch code {
                case "390112": .expired
                case "390114", "390104": .gone
                default: nil
                }
            switch refusal.map({ renewal.refused($0) }) ?? .giveUp {
            case .renew:
                do { try await renew() } catch { session = nil }
            case .startOver:
                session = nil
            case .giveUp:
                throw SessionError(.refused(code: code), message: answer.message)
            }
        }
    }

    private func login() async throws(SessionError) {
        let token: String
        do {
            token = try await loginToken()
        } catch {
            throw SessionError(.authentication("\(error)"))
        }
        logins += 1
        let body = LoginRequest(
            data: .init(
                accountName: Self.accountName(account), loginName: user, token: token, clientAppID: Self.clientAppID,
                clientAppVersion: Self.clientAppVersion,
                clientEnvironment: .init(application: "\(SnowpipeClient.userAgentProduct)/\(version)")))
        let answer: SessionAnswer<LoginPayload>
        do {
            answer = try await exchange(
                "POST", "/session/v1/login-request", query: [("requestId", UUID().uuidString.lowercased())],
                token: nil, body: body)
        } catch var error {
            error.operation = "login as \(user)"
            throw error
        }
        guard answer.success, let data = answer.data else {
            var error = SessionError(.refused(code: answer.code ?? "?"), message: answer.message)
            error.operation = "login as \(user)"
            throw error
        }
        session = (data.token, data.masterToken)
    }

    private func renew() async throws(SessionError) {
        guard let current = session else { throw SessionError(.refused(code: "390114")) }
        let answer: SessionAnswer<RenewalPayload> = try await exchange(
            "POST", "/session/token-request", query: [("requestId", UUID().uuidString.lowercased())],
            token: current.master, body: RenewalRequest(oldSessionToken: current.token))
        guard answer.success, let data = answer.data else { throw SessionError(.refused(code: answer.code ?? "?")) }
        session = (data.sessionToken, data.masterToken ?? current.master)
    }

    /// One HTTP exchange with a JSON body; the answer decoded (a 200 that is not the expected JSON is `malformed`).
    private func exchange<Body: Encodable, Answer: Decodable>(
        _ method: String, _ path: String, query: [(String, String)], token: String?, body: Body,
        accept: String = "application/snowflake"
    ) async throws(SessionError) -> Answer {
        let encoded: Data
        do {
            encoded = try JSONEncoder().encode(body)
        } catch {
            throw SessionError(.malformed("cannot encode the request: \(error)"))
        }
        let request = SnowflakeRequest.make(
            method, url: endpoint.url(path: path, query: query), credential: token.map { .session($0) } ?? .none,
            userAgent: SnowflakeRequest.userAgent(version: version), accept: accept, contentType: "application/json",
            body: Array(encoded))
        let response: HTTPResponseData
        do {
            response = try await transport.send(request)
        } catch {
            throw SessionError(.transport(error))
        }
        guard response.status == 200 else { throw SessionError(.http(response.status)) }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(response.body))
        } catch {
            throw SessionError(.malformed("not the expected JSON: \(error)"))
        }
    }
}
