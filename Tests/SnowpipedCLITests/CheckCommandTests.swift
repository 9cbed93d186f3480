import Foundation
import SnowflakeAuth
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("snowpiped check: one clear message per failure")
struct CheckCommandTests {
    let fixture = try! EmulatorFixture { $0.loadDelaySeconds = 0 }
    let directory = TemporaryDirectory("check")

    /// Writes a key file (0600 unless told otherwise) and a configuration pointing at `port`.
    func setup(
        port: Int, pipe: String = "DB.S.CSV_PIPE", key: PrivateKey = TestKeys.primary, scheme: String = "http",
        passphrase: String? = nil
    ) throws -> String {
        let keyPath = directory.path + "/key.p8"
        try key.pkcs8PEM(passphrase: passphrase).write(toFile: keyPath, atomically: true, encoding: .utf8)
        chmod(keyPath, 0o600)
        var passphraseBlock = ""
        if let passphrase {
            let file = directory.write("passphrase", passphrase + "\n")
            passphraseBlock = "  private_key_passphrase:\n    file: \(file)\n"
        }
        let config = """
            snowflake:
              account: myorg-myacct.us-east-1
              user: ingest_user
              private_key_file: \(keyPath)
            \(passphraseBlock)  host: 127.0.0.1
              port: \(port)
              scheme: \(scheme)
              allow_plain_http: true
            state_directory: \(directory.path)/state
            watch:
              - directory: \(directory.path)/drop
                pipe: \(pipe)
            """
        let configPath = directory.path + "/snowpiped.yaml"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        return configPath
    }

    func check(_ config: String, offline: Bool = false) async throws -> ChildProcess.Result {
        try await ChildProcess.run(
            ChildProcess.product("snowpiped"), ["check", "--config", config] + (offline ? ["--offline"] : []))
    }

    @Test func aGoodSetupPassesAndShowsTheFingerprint() async throws {
        fixture.clock.followSystemTime()
        try await LiveEmulator.withServer(fixture.emulator) { base in
            let port = Int(base.split(separator: ":").last!)!
            let result = try await check(try setup(port: port))
            #expect(result.status == 0, "\(result.output)")
            #expect(result.stdout.contains("public key fingerprint: \(TestKeys.primary.fingerprint)"))
            #expect(result.stdout.contains("JWT sub: MYORG-MYACCT.INGEST_USER"))
            #expect(result.stdout.contains("pipe DB.S.CSV_PIPE: OK"))
            #expect(!result.output.contains("eyJ"))
        }
    }

    @Test func anUnknownPipeSaysSoAndHowToGrant() async throws {
        fixture.clock.followSystemTime()
        try await LiveEmulator.withServer(fixture.emulator) { base in
            let port = Int(base.split(separator: ":").last!)!
            let result = try await check(try setup(port: port, pipe: "DB.S.HIDDEN_PIPE"))
            #expect(result.status != 0)
            #expect(result.stdout.contains("unknown pipe or no rights"))
            #expect(result.stdout.contains("GRANT OPERATE, MONITOR ON PIPE DB.S.HIDDEN_PIPE"))
        }
    }

    @Test func aWrongKeySaysWhichFingerprintToRegister() async throws {
        fixture.clock.followSystemTime()
        try await LiveEmulator.withServer(fixture.emulator) { base in
            let port = Int(base.split(separator: ":").last!)!
            let result = try await check(try setup(port: port, key: TestKeys.secondary))
            #expect(result.status != 0)
            #expect(result.stdout.contains("wrong key or user"))
            #expect(result.stdout.contains(TestKeys.secondary.fingerprint))
        }
    }

    @Test func clockSkewIsNamedAsSuch() async throws {
        fixture.clock.followSystemTime()
        fixture.clock.advance(by: 7200)
        try await LiveEmulator.withServer(fixture.emulator) { base in
            let port = Int(base.split(separator: ":").last!)!
            let result = try await check(try setup(port: port))
            #expect(result.status != 0)
            #expect(result.stdout.contains("behind Snowflake's: fix the clock"), "\(result.output)")
        }
    }

    @Test func anUnreachableHostSaysCannotConnect() async throws {
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        close(socket)  // bound then closed: nothing listens there
        let result = try await check(try setup(port: port))
        #expect(result.status != 0)
        #expect(result.stdout.contains("cannot connect to http://127.0.0.1:\(port)"), "\(result.output)")
    }

    @Test func tlsToAPlainServerIsATLSFailure() async throws {
        fixture.clock.followSystemTime()
        try await LiveEmulator.withServer(fixture.emulator) { base in
            let port = Int(base.split(separator: ":").last!)!
            let result = try await check(try setup(port: port, scheme: "https"))
            #expect(result.status != 0)
            #expect(result.stdout.contains("TLS failed"), "\(result.output)")
        }
    }

    @Test func offlineStopsBeforeTheNetworkAndReadsAnEncryptedKey() async throws {
        let result = try await check(try setup(port: 9, passphrase: "pw-for-check"), offline: true)
        #expect(result.status == 0, "\(result.output)")
        #expect(!result.stdout.contains("pipe DB.S.CSV_PIPE"))
        #expect(!result.output.contains("pw-for-check"))
    }

    @Test func aRuleOnAPipeOfTheOtherKindFailsTheCheckNamingTheKind() async throws {
        fixture.clock.followSystemTime()
        try await LiveEmulator.withServer(fixture.emulator) { base in
            let port = Int(base.split(separator: ":").last!)!
            // A stream rule on a classic pipe.
            let stream = try setup(port: port, pipe: "DB.S.CSV_PIPE")
            try (String(contentsOfFile: stream, encoding: .utf8) + "\n    mode: stream\n    format: ndjson\n")
                .write(toFile: stream, atomically: true, encoding: .utf8)
            let streamed = try await check(stream)
            #expect(streamed.status != 0, "\(streamed.output)")
            #expect(streamed.output.contains("is a classic pipe"), "\(streamed.output)")
            // A file rule on a streaming pipe.
            let files = try await check(try setup(port: port, pipe: "DB.S.JSON_PIPE"))
            #expect(files.status != 0, "\(files.output)")
            #expect(files.output.contains("is a Snowpipe Streaming pipe"), "\(files.output)")
        }
    }

    @Test func aStreamRuleIsCheckedThroughItsScopedTokenAndChannel() async throws {
        fixture.clock.followSystemTime()
        try await LiveEmulator.withServer(fixture.emulator) { base in
            let config = try setup(port: Int(base.split(separator: ":").last!)!, pipe: "DB.S.JSON_PIPE")
            try
                (String(contentsOfFile: config, encoding: .utf8) + "\n    mode: stream\n    format: ndjson\n"
                + "    channel: CHECKED\n")
                .write(toFile: config, atomically: true, encoding: .utf8)
            let first = try await check(config)
            #expect(first.status == 0, "\(first.output)")
            #expect(first.stdout.contains("pipe DB.S.JSON_PIPE: ingest host localhost, scoped token OK"))
            #expect(first.stdout.contains("channel CHECKED opened"), "\(first.stdout)")
            // The channel exists now: a second check reads its status instead of opening it (which would fence a
            // running daemon off).
            let sequencer = await fixture.emulator.channelSummaries().first?.clientSequencer
            let second = try await check(config)
            #expect(second.status == 0, "\(second.output)")
            #expect(second.stdout.contains("channel CHECKED SUCCESS"), "\(second.stdout)")
            #expect(await fixture.emulator.channelSummaries().first?.clientSequencer == sequencer)
        }
    }

    @Test func quietOfflineCheckPrintsOneLine() async throws {
        let config = try setup(port: 9)
        let result = try await ChildProcess.run(
            ChildProcess.product("snowpiped"), ["check", "--offline", "--quiet", "--config", config])
        #expect(result.status == 0, "\(result.output)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stdout)")
        #expect(lines.first?.contains("OK") == true)
    }

    @Test func aFailureWrittenToTheJournalStreamIsAtPriorityErr() async throws {
        // As under systemd: stderr is the journal stream named by JOURNAL_STREAM (device:inode).
        let errors = directory.path + "/stderr.txt"
        let result = try await ChildProcess.run(
            "/bin/sh",
            [
                "-c",
                "exec 2>\"$0\"; JOURNAL_STREAM=$(stat -c %d:%i \"$0\") exec \"$1\" check --config /nonexistent.yaml",
                errors, ChildProcess.product("snowpiped"),
            ])
        #expect(result.status == 78)
        let text = try String(contentsOfFile: errors, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.isEmpty == false)
        #expect(lines.allSatisfy { $0.hasPrefix("<3>") }, "\(text)")
        #expect(text.contains("/nonexistent.yaml"))
        // Without the journal, no prefix.
        let plain = try await ChildProcess.run(
            ChildProcess.product("snowpiped"), ["check", "--config", "/nonexistent.yaml"])
        #expect(plain.stderr.hasPrefix("Error:"), "\(plain.stderr)")
    }

    @Test func aKeyReadableByOthersIsRefusedWithTheFix() async throws {
        let config = try setup(port: 9)
        chmod(directory.path + "/key.p8", 0o644)
        let result = try await check(config, offline: true)
        #expect(result.status != 0)
        #expect(result.output.contains("chmod 600"))
    }

    @Test func everyConfigurationProblemIsListedWithItsLine() async throws {
        let config = directory.write(
            "bad.yaml",
            """
            snowflake:
              account: a
              private_key_file: relative/key.pem
              scheme: http
            watch:
              - directory: /tmp/x
                pipe: NOTQUALIFIED
                linger: 5
            batching:
              max_files: 9000
            """)
        let result = try await check(config, offline: true)
        #expect(result.status != 0)
        for expected in [
            "snowflake.user: is required", "line 3: snowflake.private_key_file: must be an absolute path",
            "line 4: snowflake.scheme", "line 7: watch[0].pipe: must be fully qualified",
            "line 8: watch[0].linger: unknown key", "line 10: batching.max_files: must be between 1 and 5000",
        ] {
            #expect(result.output.contains(expected), "missing \"\(expected)\" in:\n\(result.output)")
        }
    }
}
