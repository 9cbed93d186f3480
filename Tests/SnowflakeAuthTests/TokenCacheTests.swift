import Foundation
import SnowflakeAuth
import Synchronization
import TestSupport
import Testing

/// A wall clock the test moves by hand.
final class TestWallClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    func now() -> Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite("Tokens are cached 54 minutes and live 59")
struct TokenCacheTests {
    @Test func theTokenIsReusedUntil54MinutesThenRenewed() async throws {
        let clock = TestWallClock()
        let cache = TokenCache(key: TestKeys.primary, account: "xy12345.us-east-2.aws", user: "me") { clock.now() }
        let first = try await cache.token()
        clock.advance(53 * 60)
        #expect(try await cache.token() == first)
        clock.advance(60)
        let second = try await cache.token()
        #expect(second != first)
        let parsed = try #require(JWT.Parsed(second))
        #expect(parsed.issuedAt == Int64(clock.now().timeIntervalSince1970))
        #expect(parsed.expiresAt! - parsed.issuedAt! == 59 * 60)
        #expect(parsed.subject == "XY12345.ME")
    }

    @Test func renewMintsANewTokenAtOnce() async throws {
        let clock = TestWallClock()
        let cache = TokenCache(key: TestKeys.primary, account: "a", user: "u") { clock.now() }
        let first = try await cache.token()
        clock.advance(1)
        let renewed = try await cache.renew()
        #expect(renewed != first)
        #expect(try await cache.token() == renewed)
    }

    @Test func withTwoKeysARenewalAfterARefusalSignsWithTheOtherAndSaysSo() async throws {
        let switches = Mutex<[String]>([])
        let cache = TokenCache(
            keys: [TestKeys.primary, TestKeys.secondary], account: "a", user: "u",
            onSwitch: { old, new in switches.withLock { $0.append("\(old)->\(new)") } })
        let first = try #require(JWT.Parsed(try await cache.token()))
        #expect(first.issuer?.hasSuffix(TestKeys.primary.fingerprint) == true)
        let renewed = try #require(JWT.Parsed(try await cache.renew()))
        #expect(renewed.issuer?.hasSuffix(TestKeys.secondary.fingerprint) == true)
        #expect(await cache.activeFingerprint == TestKeys.secondary.fingerprint)
        let back = try #require(JWT.Parsed(try await cache.renew()))
        #expect(back.issuer?.hasSuffix(TestKeys.primary.fingerprint) == true, "both refused: back to the first")
        #expect(
            switches.withLock { $0 }
                == [
                    "\(TestKeys.primary.fingerprint)->\(TestKeys.secondary.fingerprint)",
                    "\(TestKeys.secondary.fingerprint)->\(TestKeys.primary.fingerprint)",
                ])
    }
}

@Suite("The passphrase comes from a credential, a file or the environment, never the config")
struct PassphraseSourceTests {
    let directory = TemporaryDirectory("pass")

    @Test func aSystemdCredentialIsReadFromCredentialsDirectory() throws {
        directory.write("key-pass", "s3cret\n")
        let value = try PassphraseSource.credential("key-pass").read(environment: [
            "CREDENTIALS_DIRECTORY": directory.path
        ])
        #expect(value == "s3cret")
    }

    @Test func aCredentialWithoutCredentialsDirectorySaysHowToFixIt() {
        #expect {
            try PassphraseSource.credential("key-pass").read(environment: [:])
        } throws: { error in
            "\(error)".contains("LoadCredential=key-pass")
        }
    }

    @Test func aFileLosesOnlyItsTrailingNewline() throws {
        let path = directory.write("p", "two words \r\n")
        #expect(try PassphraseSource.file(path).read() == "two words ")
    }

    @Test func anEnvironmentVariableMustBeSet() throws {
        #expect(try PassphraseSource.environment("P").read(environment: ["P": "x"]) == "x")
        #expect(throws: PassphraseError.self) { try PassphraseSource.environment("P").read(environment: [:]) }
    }
}

@Suite("Our JWTs verify independently with PyJWT and match the official SDK's claims")
struct IndependentVerificationTests {
    let directory = TemporaryDirectory("pyjwt")

    var python: String { ChildProcess.repositoryRoot + "/.venv/bin/python" }
    var script: String { ChildProcess.repositoryRoot + "/tests/python/verify_jwt.py" }

    @Test(arguments: ["pkcs8", "pkcs8-encrypted", "pkcs1"])
    func aTokenSignedWithEachKeyFormatVerifies(format: String) async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: python),
            "the Python venv is missing: run `make deps` (scripts/install-deps.sh) first")
        let keyPath = directory.path + "/key-\(format).pem"
        _ = try run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", keyPath])
        var loadPath = keyPath
        var passphrase: String?
        var extra: [String] = []
        switch format {
        case "pkcs8-encrypted":
            loadPath = directory.path + "/key-enc.p8"
            _ = try run([
                "openssl", "pkcs8", "-topk8", "-v2", "aes256", "-in", keyPath, "-out", loadPath, "-passout", "pass:pw",
            ])
            passphrase = "pw"
            extra = [directory.write("pass.txt", "pw\n")]
        case "pkcs1":
            loadPath = directory.path + "/key-pkcs1.pem"
            _ = try run(["openssl", "rsa", "-in", keyPath, "-out", loadPath, "-traditional"])
        default: break
        }
        let key = try PrivateKey.load(path: loadPath, passphrase: passphrase, checkPermissions: false)
        let cache = TokenCache(key: key, account: "myorg-myacct.us-east-1", user: "ingest_user")
        let tokenPath = directory.write("token", try await cache.token())
        let result = try await ChildProcess.run(
            python, [script, tokenPath, loadPath, "myorg-myacct.us-east-1", "ingest_user"] + extra)
        #expect(result.status == 0, "verify_jwt.py: \(result.output)")
        #expect(result.stdout.contains("OK"))
    }
}
