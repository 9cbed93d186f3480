import Foundation
import SnowflakeAuth
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("Snowpipe Streaming: hostname, scoped tokens and which token each host takes")
struct StreamingAuthenticationTests {
    let fixture = try! EmulatorFixture()

    @Test func theHostnameIsBareTextForAKeyPairJWT() async {
        let response = await fixture.streamingHostname()
        #expect(response.status == 200)
        #expect(response.text == "localhost")
        #expect(response.headers["Content-Type"]?.hasPrefix("text/plain") == true)
    }

    @Test func theHostnameRefusesABadJWTWithTheStreamingEnvelope() async {
        let response = await fixture.streamingHostname(token: "not-a-jwt")
        #expect(response.status == 401)
        #expect(response.object["code"] as? String == "ERR_AUTHENTICATION_FAILED")
        #expect(response.object["message"] is String)
    }

    @Test func everyExchangeMintsADistinctJWTShapedTokenThatExpiresInAnHour() async throws {
        let first = await fixture.exchangeToken()
        let second = await fixture.exchangeToken()
        #expect(first.status == 200 && second.status == 200)
        #expect(first.text != second.text)
        let parsed = try #require(JWT.Parsed(first.text))
        let now = Int64(fixture.clock.now().timeIntervalSince1970)
        #expect(parsed.expiresAt == now + 3600)
        #expect(await fixture.emulator.statistics().scopedTokensIssued == 2)
    }

    @Test func theExchangeNeedsTheJWTBearerGrantAndTheIngestHostAsScope() async {
        let badGrant = await fixture.exchangeToken(grantType: "client_credentials")
        #expect(badGrant.status == 400)
        #expect(badGrant.object["code"] as? String == "ERR_INVALID_GRANT_TYPE")
        let badScope = await fixture.exchangeToken(scope: "elsewhere.example")
        #expect(badScope.status == 400)
        #expect(badScope.object["code"] as? String == "ERR_INVALID_SCOPE")
        #expect((badScope.object["message"] as? String)?.contains("localhost") == true)
    }

    @Test func aScopedTokenIsRefusedOnTheAccountHost() async {
        let scoped = await fixture.scopedToken()
        let response = await fixture.emulator.handle(
            EmulatorRequest(
                method: "GET", path: "/v2/streaming/hostname",
                headers: ["Authorization": "Bearer \(scoped)", "X-Snowflake-Authorization-Token-Type": "OAUTH"]))
        #expect(response.status == 401)
        #expect((response.object["message"] as? String)?.contains("ingest host") == true)
    }

    @Test func aKeyPairJWTIsRefusedOnTheIngestHost() async {
        let response = await fixture.emulator.handle(
            EmulatorRequest(
                method: "PUT", path: EmulatorFixture.channelPath(pipe: "DB.S.JSON_PIPE", channel: "C1"),
                headers: [
                    "Authorization": "Bearer \(fixture.token())", "X-Snowflake-Authorization-Token-Type": "KEYPAIR_JWT",
                ]))
        #expect(response.status == 401)
        #expect((response.object["message"] as? String)?.contains("/oauth/token") == true)
        // Without a type header the JWT is still not a scoped token this host issued.
        let untyped = await fixture.emulator.handle(
            EmulatorRequest(
                method: "PUT", path: EmulatorFixture.channelPath(pipe: "DB.S.JSON_PIPE", channel: "C1"),
                headers: ["Authorization": "Bearer \(fixture.token())"]))
        #expect(untyped.status == 401)
    }

    @Test func aScopedTokenExpiresAfterAnHour() async {
        let scoped = await fixture.scopedToken()
        #expect(await fixture.openChannel("C1", scopedToken: scoped).status == 200)
        fixture.clock.advance(by: 3601)
        let late = await fixture.openChannel("C1", scopedToken: scoped)
        #expect(late.status == 401)
        #expect((late.object["message"] as? String)?.contains("expired") == true)
    }

    @Test func aScopedTokenReachesOnlyThePipesGrantedToItsUser() async {
        let scoped = await fixture.scopedToken()
        let hidden = await fixture.openChannel("C1", pipe: "DB.S.HIDDEN_PIPE", scopedToken: scoped)
        #expect(hidden.status == 404)
        #expect(hidden.object["code"] as? String == "ERR_PIPE_DOES_NOT_EXIST_OR_NOT_AUTHORIZED")
        let unknown = await fixture.openChannel("C1", pipe: "DB.S.NO_SUCH_PIPE", scopedToken: scoped)
        #expect(unknown.status == 404)
    }

    @Test func pipeInfoAndTelemetryAnswerWhatTheOfficialSDKNeeds() async {
        let scoped = await fixture.scopedToken()
        let info = await fixture.ingest(
            "POST", EmulatorFixture.pipePath(pipe: "DB.S.JSON_PIPE", operation: ":pipe-info"),
            body: Array(#"{"generate_new_token":true,"encryption_version":"AES-CTR-128.1"}"#.utf8),
            scopedToken: scoped)
        #expect(info.status == 200)
        let location = info.object["rowset_stage_location"] as? [String: Any]
        #expect(location?["location_type"] as? String == "S3")
        #expect(location?["expiry_time_ms"] is Int)
        #expect(info.object["pipe"] as? String == "JSON_PIPE")
        let telemetry = await fixture.emulator.handle(
            EmulatorRequest(
                method: "POST", path: "/telemetry/send/sessionless", headers: ["Authorization": "Bearer x"],
                body: Array(#"{"logs":[]}"#.utf8)))
        #expect(telemetry.status == 200)
    }
}
