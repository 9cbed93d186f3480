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
            let data = try await query(sql)
            return try PutAnswer.decode(data)
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
        _ = try? await exchange(
            "POST", "/session", query: [("delete", "true")], token: session.token, body: [:])
    }

    /// Runs `sql` in the session: on 390112 the session is renewed once (a failed renewal logs in again); on
    /// 390114 or 390104 (or 390112 after a renewal) it logs in again once; any other refusal is thrown.
    func query(_ sql: String) async throws(SessionError) -> [String: Any] {
        var renewal = CredentialRenewal(canStartOver: true)
        while true {
            if session == nil { try await login() }
            sequence += 1
            let body: [String: Any] = [
                "sqlText": sql, "asyncExec": false, "sequenceId": sequence, "isInternal": false,
                "parameters": [String: Any](), "queryContextDTO": [String: Any](),
            ]
            let answer = try await exchange(
                "POST", "/queries/v1/query-request", query: [("requestId", UUID().uuidString.lowercased())],
                token: session?.token, body: body, accept: "application/json")
            if answer["success"] as? Bool == true {
                guard let data = answer["data"] as? [String: Any] else {
                    throw SessionError(.malformed("no data in a successful answer"))
                }
                return data
            }
            let code = answer["code"] as? String ?? "?"
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
                throw SessionError(.refused(code: code), message: answer["message"] as? String)
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
        let body: [String: Any] = [
            "data": [
                "ACCOUNT_NAME": Self.accountName(account), "LOGIN_NAME": user, "AUTHENTICATOR": "SNOWFLAKE_JWT",
                "TOKEN": token, "CLIENT_APP_ID": Self.clientAppID, "CLIENT_APP_VERSION": Self.clientAppVersion,
                "CLIENT_ENVIRONMENT": [
                    "APPLICATION": "snowpiped/\(version)", "OS": "Linux", "OS_VERSION": "", "OCSP_MODE": "FAIL_OPEN",
                ],
                "SESSION_PARAMETERS": [String: Any](),
            ] as [String: Any]
        ]
        let answer = try await exchange(
            "POST", "/session/v1/login-request", query: [("requestId", UUID().uuidString.lowercased())], token: nil,
            body: body)
        guard answer["success"] as? Bool == true, let data = answer["data"] as? [String: Any],
            let sessionToken = data["token"] as? String, let master = data["masterToken"] as? String
        else {
            var error = SessionError(
                .refused(code: answer["code"] as? String ?? "?"), message: answer["message"] as? String)
            error.operation = "login as \(user)"
            throw error
        }
        session = (sessionToken, master)
    }

    private func renew() async throws(SessionError) {
        guard let current = session else { throw SessionError(.refused(code: "390114")) }
        let answer = try await exchange(
            "POST", "/session/token-request", query: [("requestId", UUID().uuidString.lowercased())],
            token: current.master, body: ["oldSessionToken": current.token, "requestType": "RENEW"])
        guard answer["success"] as? Bool == true, let data = answer["data"] as? [String: Any],
            let token = data["sessionToken"] as? String
        else { throw SessionError(.refused(code: answer["code"] as? String ?? "?")) }
        session = (token, data["masterToken"] as? String ?? current.master)
    }

    /// One HTTP exchange with a JSON body; the JSON object answered.
    private func exchange(
        _ method: String, _ path: String, query: [(String, String)], token: String?, body: [String: Any],
        accept: String = "application/snowflake"
    ) async throws(SessionError) -> [String: Any] {
        var headers = [
            ("Content-Type", "application/json"), ("Accept", accept),
            ("User-Agent", "\(SnowpipeClient.userAgentProduct)/\(version) (Linux; Swift)"),
        ]
        if let token { headers.append(("Authorization", "Snowflake Token=\"\(token)\"")) }
        let encoded = (try? JSONSerialization.data(withJSONObject: body)) ?? Data("{}".utf8)
        let request = HTTPRequestData(
            method: method, url: endpoint.url(path: path, query: query), headers: headers, body: Array(encoded))
        let response: HTTPResponseData
        do {
            response = try await transport.send(request)
        } catch {
            throw SessionError(.transport(error))
        }
        guard response.status == 200 else { throw SessionError(.http(response.status)) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw SessionError(.malformed("not a JSON object"))
        }
        return object
    }
}
