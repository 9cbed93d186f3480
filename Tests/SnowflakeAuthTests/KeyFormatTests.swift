import Foundation
import SnowflakeAuth
import TestSupport
import Testing

/// Runs a command and returns its stdout; fails the test on a non-zero exit.
func run(_ arguments: [String], input: Data? = nil) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    if let input {
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
    } else {
        try process.run()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CommandFailure(command: arguments.joined(separator: " "), status: process.terminationStatus)
    }
    return data
}

struct CommandFailure: Error {
    let command: String
    let status: Int32
}

@Suite("Private keys load in every PEM form Snowflake users have")
struct KeyFormatTests {
    let directory = TemporaryDirectory("keys")

    /// A key made by the openssl CLI, as Snowflake's setup guide does.
    func opensslKey() throws -> String {
        let path = directory.path + "/rsa_key.pem"
        _ = try run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path])
        return path
    }

    func opensslFingerprint(_ keyPath: String, passphrase: String? = nil) throws -> String {
        var arguments = ["openssl", "pkey", "-in", keyPath, "-pubout", "-outform", "DER"]
        if let passphrase { arguments += ["-passin", "pass:\(passphrase)"] }
        let der = try run(arguments)
        let digest = try run(["openssl", "dgst", "-sha256", "-binary"], input: der)
        return "SHA256:" + digest.base64EncodedString()
    }

    @Test func unencryptedPKCS8MatchesOpenSSLsFingerprint() throws {
        let path = try opensslKey()
        let key = try PrivateKey.load(path: path, passphrase: nil, checkPermissions: false)
        #expect(key.fingerprint == (try opensslFingerprint(path)))
        #expect(key.bits == 2048)
    }

    @Test func encryptedPKCS8AsTheSetupGuideMakesItLoadsWithThePassphrase() throws {
        let plain = try opensslKey()
        let encrypted = directory.path + "/rsa_key.p8"
        _ = try run([
            "openssl", "pkcs8", "-topk8", "-v2", "aes256", "-in", plain, "-out", encrypted, "-passout", "pass:s3cret",
        ])
        let key = try PrivateKey.load(path: encrypted, passphrase: "s3cret", checkPermissions: false)
        #expect(key.fingerprint == (try opensslFingerprint(plain)))
    }

    @Test func pkcs1LoadsToo() throws {
        let plain = try opensslKey()
        let pkcs1 = directory.path + "/rsa_pkcs1.pem"
        _ = try run(["openssl", "rsa", "-in", plain, "-out", pkcs1, "-traditional"])
        #expect(
            String(decoding: try Data(contentsOf: URL(fileURLWithPath: pkcs1)), as: UTF8.self)
                .contains("BEGIN RSA PRIVATE KEY"))
        let key = try PrivateKey.load(path: pkcs1, passphrase: nil, checkPermissions: false)
        #expect(key.fingerprint == (try opensslFingerprint(plain)))
    }

    @Test func aWrongPassphraseIsNamedAsSuch() throws {
        let pem = try TestKeys.primary.pkcs8PEM(passphrase: "right")
        #expect(throws: KeyError.wrongPassphrase(path: "k")) {
            try PrivateKey(pem: pem, passphrase: "wrong", source: "k")
        }
        #expect(throws: KeyError.passphraseRequired(path: "k")) {
            try PrivateKey(pem: pem, passphrase: nil, source: "k")
        }
    }

    @Test func aTruncatedFileIsMalformed() throws {
        let pem = try TestKeys.primary.pkcs8PEM()
        let cut = String(pem.prefix(pem.count / 2))
        #expect {
            try PrivateKey(pem: cut, source: "cut.pem")
        } throws: { error in
            guard case KeyError.malformed(let path, _) = error else { return false }
            return path == "cut.pem"
        }
    }

    @Test func aNonRSAKeyIsRefusedByName() throws {
        let path = directory.path + "/ec.pem"
        _ = try run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path])
        #expect {
            try PrivateKey.load(path: path, passphrase: nil, checkPermissions: false)
        } throws: { error in
            guard case KeyError.notRSA(_, let algorithm) = error else { return false }
            return algorithm == "EC"
        }
    }

    @Test func aKeyReadableByOthersIsRefusedWithTheFix() throws {
        let path = try opensslKey()
        chmod(path, 0o644)
        #expect {
            try PrivateKey.load(path: path, passphrase: nil)
        } throws: { error in
            "\(error)".contains("chmod 600 \(path)")
        }
        chmod(path, 0o600)
        #expect(throws: Never.self) { try PrivateKey.load(path: path, passphrase: nil) }
    }

    @Test func errorsNeverContainThePassphrase() throws {
        let pem = try TestKeys.primary.pkcs8PEM(passphrase: "topsecret-passphrase")
        do {
            _ = try PrivateKey(pem: pem, passphrase: "wrong-passphrase-value", source: "k")
            Issue.record("expected a failure")
        } catch {
            #expect(!"\(error)".contains("wrong-passphrase-value"))
            #expect(!"\(error)".contains("topsecret"))
        }
    }
}

@Suite("RS256 JWTs as Snowflake expects them")
struct JWTTests {
    @Test(arguments: [
        ("xy12345.us-east-2.aws", "XY12345"), ("myorg-myacct", "MYORG-MYACCT"),
        ("myorg-myacct.global", "MYORG-MYACCT"), ("MyOrg-My_Acct.privatelink", "MYORG-MY_ACCT"),
    ])
    func theAccountIsUppercasedAndCutAtTheFirstDot(input: String, expected: String) {
        #expect(AccountIdentifier.jwtAccount(input) == expected)
    }

    @Test func aSignedTokenVerifiesWithThePublicKeyAndCarriesTheClaims() throws {
        let key = TestKeys.primary
        let claims = JWTClaims(
            account: "xy12345.us-east-2.aws", user: "ingest_user", fingerprint: key.fingerprint,
            issuedAt: 1_795_304_059, lifetime: 3540)
        let token = try JWT.sign(claims, with: key)
        let parsed = try #require(JWT.Parsed(token))
        #expect(parsed.isSigned(by: key.publicKey))
        #expect(!parsed.isSigned(by: TestKeys.secondary.publicKey))
        #expect(parsed.subject == "XY12345.INGEST_USER")
        #expect(parsed.issuer == "XY12345.INGEST_USER.\(key.fingerprint)")
        #expect(parsed.expiresAt! - parsed.issuedAt! == 3540)
    }

    @Test func aPublicKeyRoundTripsThroughPEMAndBase64() throws {
        let publicKey = TestKeys.primary.publicKey
        #expect(try PublicKey(pemOrBase64: publicKey.pem).fingerprint == publicKey.fingerprint)
        #expect(try PublicKey(pemOrBase64: publicKey.base64DER).fingerprint == publicKey.fingerprint)
    }
}
