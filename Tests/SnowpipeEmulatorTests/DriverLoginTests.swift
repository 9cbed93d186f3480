import Foundation
import SnowflakeAuth
import SnowpipeAPI
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("Driver login: the body checked as Snowflake's drivers build it")
struct DriverLoginTests {
    /// (ACCOUNT_NAME, CLIENT_APP_ID, LOGIN_NAME, logged in).
    static let bodies: [(String?, String?, String?, Bool)] = [
        ("myorg-myacct", "PythonConnector", "ingest_user", true),
        ("MYORG-MYACCT", "Go", nil, true),
        ("myorg-myacct", "JDBC", "INGEST_USER", true),
        // The account with its region: the connector cuts it at the first dot before it logs in.
        ("myorg-myacct.us-east-2.aws", "PythonConnector", "ingest_user", false),
        ("otherorg-acct", "PythonConnector", "ingest_user", false),
        (nil, "PythonConnector", "ingest_user", false),
        ("myorg-myacct", "snowpiped", "ingest_user", false),
        ("myorg-myacct", nil, "ingest_user", false),
        ("myorg-myacct", "PythonConnector", "someone_else", false),
    ]

    @Test(arguments: bodies)
    func aLoginBodyIsAcceptedOnlyAsADriverBuildsIt(
        account: String?, appID: String?, loginName: String?, accepted: Bool
    ) async throws {
        let fixture = try EmulatorFixture()
        var data: [String: Any] = ["AUTHENTICATOR": "SNOWFLAKE_JWT", "TOKEN": fixture.token()]
        data["ACCOUNT_NAME"] = account
        data["CLIENT_APP_ID"] = appID
        data["LOGIN_NAME"] = loginName
        let response = await fixture.emulator.handle(
            EmulatorRequest(
                method: "POST", path: "/session/v1/login-request", query: [:],
                headers: ["Content-Type": "application/json"],
                body: Array(try JSONSerialization.data(withJSONObject: ["data": data]))))
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(answer["success"] as? Bool == accepted, "\(answer)")
        if accepted == false { #expect(answer["code"] as? String == "390100") }
    }

    @Test func theSessionClientLogsInWithAnAccountConfiguredWithItsRegion() async throws {
        let fixture = try EmulatorFixture()
        let transport = RecordingTransport(EmulatorTransport(fixture.emulator))
        let account = "myorg-myacct.us-east-2.aws"
        let client = SessionClient(
            endpoint: SnowflakeEndpoint(scheme: "http", host: "127.0.0.1", port: 1), transport: transport,
            account: account, user: "ingest_user", version: "test"
        ) {
            TestKeys.token(
                account: AccountIdentifier.jwtAccount(account), user: "INGEST_USER", key: TestKeys.primary,
                issuedAt: fixture.clock.now())
        }
        // No stage here: the PUT is refused (002003) only after the login succeeded.
        do {
            _ = try await client.put(source: "/tmp/a.csv", stage: "DB.S.NOPE", path: "", sourceCompression: "none")
            Issue.record("a PUT into an unknown stage succeeded")
        } catch {
            #expect("\(error)".contains("002003"), "\(error)")
        }
        let login = try #require(await transport.requests.first)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(login.body)) as? [String: Any])
        let data = try #require(body["data"] as? [String: Any])
        #expect(data["ACCOUNT_NAME"] as? String == "myorg-myacct")
        #expect(data["CLIENT_APP_ID"] as? String == "PythonConnector")
        #expect((data["CLIENT_ENVIRONMENT"] as? [String: Any])?["APPLICATION"] as? String == "snowpiped/test")
    }
}
