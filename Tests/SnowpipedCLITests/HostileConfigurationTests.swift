import Foundation
import SnowflakeAuth
import TestSupport
import Testing

/// Configurations that used to pass validation and fail later (or never): each is refused before anything
/// starts, with the key, the value and what to do, and exit status 78 (EX_CONFIG: the unit does not restart
/// into the same error).
@Suite("Configuration refuses what would fail online or lose data")
struct HostileConfigurationTests {
    let directory = TemporaryDirectory("hostile-config")

    func write(
        pipe: String = "DB.S.P", stateDirectory: String? = nil, keyBits: Int = 2048, encrypted: Bool = false,
        rule: String = ""
    ) throws -> String {
        let keyPath = directory.path + "/key.p8"
        let key = keyBits == 2048 ? TestKeys.primary : try PrivateKey.generate(bits: keyBits)
        try key.pkcs8PEM(passphrase: encrypted ? "s3cret passphrase" : nil).write(
            toFile: keyPath, atomically: true, encoding: .utf8)
        chmod(keyPath, 0o600)
        let config = """
            snowflake:
              account: myorg-myacct
              user: ingest_user
              private_key_file: \(keyPath)
            state_directory: \(stateDirectory ?? directory.path + "/state")
            watch:
              - directory: \(directory.path)/drop
                pipe: '\(pipe)'
            \(rule)
            """
        let path = directory.path + "/snowpiped.yaml"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func run(_ command: String, _ config: String) async throws -> ChildProcess.Result {
        try await ChildProcess.run(
            ChildProcess.product("snowpiped"),
            [command, "--config", config] + (command == "check" ? ["--offline"] : []))
    }

    @Test(arguments: [
        ("DB.S.P?x=1", "unquoted names hold only letters, digits, _ and $"),
        ("DB.S.../admin", "has an empty part"),
        ("DB.S.my pipe", "unquoted names hold only letters, digits, _ and $"),
        ("DB.S", "must be fully qualified"),
    ])
    func aPipeNameThatIsNotAnIdentifierIsRefused(pipe: String, expected: String) async throws {
        let config = try write(pipe: pipe)
        for command in ["check", "run"] {
            let result = try await run(command, config)
            #expect(result.status != 0)
            #expect(result.output.contains("watch[0].pipe"), "\(result.output)")
            #expect(result.output.contains(expected), "\(result.output)")
        }
    }

    @Test func aQuotedPipeNameIsAccepted() async throws {
        let result = try await run("check", try write(pipe: "DB.S.\"My Pipe\""))
        #expect(result.output.contains("watch[0].pipe") == false, "\(result.output)")
    }

    @Test func aStateDirectoryInsideAWatchedDirectoryIsRefused() async throws {
        for state in [directory.path + "/drop", directory.path + "/drop/.state"] {
            let config = try write(stateDirectory: state)
            for command in ["check", "run"] {
                let result = try await run(command, config)
                #expect(result.status != 0)
                #expect(result.output.contains("state_directory"), "\(result.output)")
                #expect(result.output.contains("would submit its own outbox files"), "\(result.output)")
            }
        }
        #expect(FileManager.default.fileExists(atPath: directory.path + "/drop/.state/outbox.sqlite") == false)
    }

    @Test func anRSAKeyUnder2048BitsIsRefusedByCheckAndRun() async throws {
        let config = try write(keyBits: 1024)
        for command in ["check", "run"] {
            let result = try await run(command, config)
            #expect(result.status != 0)
            #expect(result.status == 78, "\(command): \(result.output)")
            #expect(result.output.contains("holds a 1024-bit RSA key; Snowflake requires at least 2048 bits"))
            #expect(result.output.contains("snowpiped keygen"))
            #expect(result.output.contains("PRIVATE KEY-----") == false)
        }
    }

    @Test func anEncryptedKeyWithoutAPassphraseNamesKeysThatExist() async throws {
        let result = try await run("check", try write(encrypted: true))
        #expect(result.status != 0)
        #expect(result.output.contains("snowflake.private_key_passphrase"), "\(result.output)")
        #expect(result.output.contains("passphrase_file") == false)
        #expect(result.output.contains("passphrase_env") == false)
        #expect(result.output.contains("s3cret") == false)
    }

    /// The file the package installs as /etc/snowpiped/snowpiped.yaml: refused with one problem, the account
    /// left empty, so neither `run` nor the package's post-install start ever sends anything on it.
    @Test func thePackagedPlaceholderConfigurationIsRefusedWithOneProblem() async throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/snowpiped.example.yaml").path
        for command in ["check", "run"] {
            let result = try await run(command, example)
            #expect(result.status == 78, "\(command): \(result.output)")
            #expect(result.output.contains("1 problem:"), "\(result.output)")
            #expect(result.output.contains("snowflake.account: is not set"), "\(result.output)")
        }
    }

    @Test(arguments: [
        ("    stage: {kind: s3, bucket: my-bucket, region: us-east-1}", "stage.credentials: is required"),
        (
            "    stage: {kind: s3, bucket: My_Bucket, region: us-east-1, credentials: {env: true}}",
            "is not an S3 bucket"
        ),
        ("    stage: {kind: s3, name: DB.S.ST, bucket: b1b, region: r, credentials: {env: true}}", "give `bucket`"),
        ("    stage: {kind: internal, name: DB.S.ST, bucket: b1b}", "applies only to `kind: s3`"),
        ("    stage: {kind: gcs}", "gcs stages are not supported"),
        ("    stage: {kind: internal}", "watch[0].stage.name: is required"),
        ("    stage: {kind: internal, name: 'DB.S'}", "must be fully qualified"),
        ("    stage: {kind: internal, name: DB.S.ST, endpoint: 'http://example.com:9000'}", "http:// only on loopback"),
        ("    stage: {kind: internal, name: DB.S.ST}\n    stage_prefix: x", "for an upload rule give `stage.path`"),
        ("    stage: {kind: internal, name: DB.S.ST}\n    mode: stream\n    format: ndjson", "a stream needs no stage"),
        ("    stage: {kind: local, name: DB.S.ST}", "applies only to `kind: internal` or `kind: s3`"),
    ])
    func aStageThatCannotWorkIsRefusedBeforeAnythingStarts(rule: String, expected: String) async throws {
        let result = try await run("check", try write(rule: rule))
        #expect(result.status == 78, "\(result.output)")
        #expect(result.output.contains(expected), "\(result.output)")
    }

    @Test func anInternalStageRuleIsAccepted() async throws {
        let result = try await run(
            "check", try write(rule: "    stage: {kind: internal, name: DB.S.\"My Stage\", path: /in/coming/}"))
        #expect(result.status == 0, "\(result.output)")
    }
}
