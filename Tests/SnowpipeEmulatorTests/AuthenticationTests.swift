import Foundation
import SnowflakeAuth
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("The emulator authenticates like Snowflake")
struct AuthenticationTests {
    let fixture = try! EmulatorFixture()

    func report(authorization: String?) async -> EmulatorResponse {
        var headers: [String: String] = [:]
        if let authorization { headers["Authorization"] = authorization }
        return await fixture.emulator.handle(
            EmulatorRequest(method: "GET", path: "/v1/data/pipes/DB.S.CSV_PIPE/insertReport", headers: headers))
    }

    @Test func aValidTokenIsAccepted() async {
        #expect(await report(authorization: "Bearer \(fixture.token())").status == 200)
    }

    @Test func uppercaseBearerIsAcceptedAsOlderSDKsSendIt() async {
        #expect(await report(authorization: "BEARER \(fixture.token())").status == 200)
    }

    @Test func aMissingTokenIs400() async {
        let response = await report(authorization: nil)
        #expect(response.status == 400)
        #expect(response.object["success"] as? Bool == false)
    }

    @Test func aGarbageTokenIs401WithTheEnvelopeTheSDKsParse() async {
        let response = await report(authorization: "Bearer not.a.jwt")
        #expect(response.status == 401)
        let object = response.object
        #expect(object["code"] as? String == "390144")
        #expect(object["message"] as? String == "JWT token is invalid.")
        #expect(object["success"] as? Bool == false)
        #expect(object.keys.contains("data"))
    }

    @Test func aTokenSignedByAnUnregisteredKeyIsRefused() async {
        #expect(await report(authorization: "Bearer \(fixture.token(key: TestKeys.secondary))").status == 401)
    }

    @Test func aTokenWithTheRightFingerprintButAForgedSignatureIsRefused() async {
        // Claims name the registered key's fingerprint, but the signature comes from another key.
        let claims = JWTClaims(
            account: EmulatorFixture.account, user: EmulatorFixture.user, fingerprint: TestKeys.primary.fingerprint,
            issuedAt: Int64(fixture.clock.now().timeIntervalSince1970), lifetime: 3540)
        let forged = try! JWT.sign(claims, with: TestKeys.secondary)
        let response = await report(authorization: "Bearer \(forged)")
        #expect(response.status == 401)
        #expect(response.headers["X-Emulator-Reason"]?.contains("signature") == true)
    }

    @Test func anExpiredTokenIsRefused() async {
        let token = TestKeys.token(issuedAt: fixture.clock.now().addingTimeInterval(-120), lifetime: 60)
        #expect(await report(authorization: "Bearer \(token)").status == 401)
    }

    @Test func aTokenOlderThanOneHourIsRefusedWhateverItsExpiry() async {
        let token = TestKeys.token(issuedAt: fixture.clock.now().addingTimeInterval(-3601), lifetime: 7200)
        let response = await report(authorization: "Bearer \(token)")
        #expect(response.status == 401)
        #expect(response.headers["X-Emulator-Reason"]?.contains("one hour") == true)
    }

    @Test func aTokenIssuedFarInTheFutureIsRefusedAsClockSkew() async {
        let token = TestKeys.token(issuedAt: fixture.clock.now().addingTimeInterval(600))
        let response = await report(authorization: "Bearer \(token)")
        #expect(response.status == 401)
        #expect(response.headers["X-Emulator-Reason"]?.contains("skew") == true)
    }

    @Test func millisecondTimestampsAreAcceptedAsTheStreamingSDKSendsThem() async throws {
        let now = Int64(fixture.clock.now().timeIntervalSince1970) * 1000
        let qualified = "\(EmulatorFixture.account).\(EmulatorFixture.user)"
        let payload =
            #"{"iss":"\#(qualified).\#(TestKeys.primary.fingerprint)","sub":"\#(qualified)","iat":\#(now),"exp":\#(now + 3_540_000)}"#
        let input =
            Base64URL.encode(Array(#"{"alg":"RS256","typ":"JWT"}"#.utf8)) + "."
            + Base64URL.encode(Array(payload.utf8))
        let token = input + "." + Base64URL.encode(try TestKeys.primary.signRS256(Array(input.utf8)))
        #expect(await report(authorization: "Bearer \(token)").status == 200)
    }

    @Test func aLowercaseUserInTheTokenIsRefused() async {
        let claims = JWTClaims(
            account: "MYORG-MYACCT", user: "INGEST_USER", fingerprint: TestKeys.primary.fingerprint,
            issuedAt: Int64(fixture.clock.now().timeIntervalSince1970), lifetime: 3540)
        var lowered = claims
        lowered.sub = "MYORG-MYACCT.ingest_user"
        lowered.iss = "MYORG-MYACCT.ingest_user." + TestKeys.primary.fingerprint
        let token = try! JWT.sign(lowered, with: TestKeys.primary)
        #expect(await report(authorization: "Bearer \(token)").status == 401)
    }

    @Test func aPipeNotGrantedToTheUserIs404LikeAnUnknownPipe() async {
        let hidden = await fixture.insertReport(pipe: "DB.S.HIDDEN_PIPE")
        let unknown = await fixture.insertReport(pipe: "DB.S.NO_SUCH_PIPE")
        #expect(hidden.status == 404)
        #expect(unknown.status == 404)
        #expect(hidden.object["code"] as? String == unknown.object["code"] as? String)
    }

    @Test func afterKeyRotationTheOldKeyIsRefusedAndTheNewOneAccepted() async throws {
        let oldToken = fixture.token()
        try await fixture.emulator.setPublicKeys(
            user: EmulatorFixture.user, keys: [TestKeys.secondary.publicKey.base64DER])
        #expect(await report(authorization: "Bearer \(oldToken)").status == 401)
        #expect(await report(authorization: "Bearer \(fixture.token(key: TestKeys.secondary))").status == 200)
    }
}
