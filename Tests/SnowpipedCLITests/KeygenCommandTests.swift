import Foundation
import SnowflakeAuth
import TestSupport
import Testing

@Suite("snowpiped keygen writes a usable, private key pair")
struct KeygenCommandTests {
    let directory = TemporaryDirectory("keygen")

    @Test func aPlainKeyIs0600AndTheStatementCarriesItsPublicKey() async throws {
        let path = directory.path + "/rsa_key.p8"
        let result = try await ChildProcess.run(
            ChildProcess.product("snowpiped"), ["keygen", "--out", path, "--user", "INGEST_USER"])
        #expect(result.status == 0, "\(result.output)")
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let key = try PrivateKey.load(path: path, passphrase: nil)
        #expect(result.stdout.contains("Fingerprint: \(key.fingerprint)"))
        #expect(result.stdout.contains("ALTER USER INGEST_USER SET RSA_PUBLIC_KEY='\(key.publicKey.base64DER)';"))
        #expect(!result.stdout.contains("PRIVATE KEY"))
    }

    @Test func rotateWritesTheNextKeyBesideTheCurrentOneAndPrintsTheSteps() async throws {
        let current = directory.path + "/rsa_key.p8"
        try TestKeys.primary.pkcs8PEM().write(toFile: current, atomically: true, encoding: .utf8)
        chmod(current, 0o600)
        let config = directory.path + "/snowpiped.yaml"
        try """
        snowflake: {account: myorg-myacct, user: INGEST_USER, private_key_file: \(current)}
        state_directory: \(directory.path)/state
        watch: [{directory: \(directory.path)/drop, pipe: DB.S.P}]
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await ChildProcess.run(
            ChildProcess.product("snowpiped"), ["keygen", "--rotate", "--config", config])
        #expect(result.status == 0, "\(result.output)")
        let next = directory.path + "/rsa_key.next.p8"
        let key = try PrivateKey.load(path: next, passphrase: nil)
        #expect(key.fingerprint != TestKeys.primary.fingerprint)
        #expect(result.stdout.contains("ALTER USER INGEST_USER SET RSA_PUBLIC_KEY_2='\(key.publicKey.base64DER)';"))
        #expect(result.stdout.contains("next_private_key_file: \(next)"))
        #expect(result.stdout.contains("ALTER USER INGEST_USER UNSET RSA_PUBLIC_KEY;"))
        #expect(!result.stdout.contains("PRIVATE KEY"))
        let again = try await ChildProcess.run(
            ChildProcess.product("snowpiped"), ["keygen", "--rotate", "--config", config, "--slot", "1", "--force"])
        #expect(again.stdout.contains("SET RSA_PUBLIC_KEY='"), "\(again.output)")
        #expect(again.stdout.contains("UNSET RSA_PUBLIC_KEY_2;"), "\(again.output)")
    }

    @Test func ownerGivesTheKeyToTheServiceUser() async throws {
        guard getuid() == 0 else {
            print("SKIP ownerGivesTheKeyToTheServiceUser: needs root")
            return
        }
        let path = directory.path + "/owned.p8"
        let result = try await ChildProcess.run(
            ChildProcess.product("snowpiped"), ["keygen", "--out", path, "--owner", "nobody"])
        #expect(result.status == 0, "\(result.output)")
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_uid == 65534)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(result.stdout.contains("owned by nobody"))
        let unknown = try await ChildProcess.run(
            ChildProcess.product("snowpiped"), ["keygen", "--out", path + ".2", "--owner", "no-such-user-here"])
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("no such user"))
        #expect(FileManager.default.fileExists(atPath: path + ".2") == false)
    }

    @Test func aPassphraseFileEncryptsTheKey() async throws {
        let path = directory.path + "/enc.p8"
        let passphrase = directory.write("pass", "correct horse\n")
        let result = try await ChildProcess.run(
            ChildProcess.product("snowpiped"), ["keygen", "--out", path, "--passphrase-file", passphrase])
        #expect(result.status == 0, "\(result.output)")
        let pem = try String(contentsOfFile: path, encoding: .utf8)
        #expect(pem.contains("BEGIN ENCRYPTED PRIVATE KEY"))
        #expect(throws: KeyError.self) { try PrivateKey.load(path: path, passphrase: nil) }
        #expect(throws: Never.self) { try PrivateKey.load(path: path, passphrase: "correct horse") }
    }

    @Test func anExistingFileIsNotOverwrittenWithoutForce() async throws {
        let path = directory.write("existing.p8", "keep me")
        let result = try await ChildProcess.run(ChildProcess.product("snowpiped"), ["keygen", "--out", path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--force"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")
    }
}

@Suite("snowpiped --version names the build")
struct VersionTests {
    @Test func theVersionNamesTheCommitItWasBuiltFrom() async throws {
        let result = try await ChildProcess.run(ChildProcess.product("snowpiped"), ["--version"])
        #expect(result.status == 0)
        let line = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // `0.1.0 (commit 0123456789ab)`, `+changes` for an uncommitted tree; `unknown build` outside git.
        #expect(line.hasPrefix("0.1.0 ("), "\(line)")
        #expect(line.contains("commit ") || line.contains("unknown build"), "\(line)")
    }
}
