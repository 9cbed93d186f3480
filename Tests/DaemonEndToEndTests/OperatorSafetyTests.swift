import Foundation
import IngestCore
import Outbox
import SnowflakeAuth
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("Operators cannot make the daemon lose or double-load files", .serialized)
struct OperatorSafetyTests {
    @Test func aSecondDaemonOnTheSameStateDirectoryExitsNamingTheFirst() async throws {
        try await DaemonHarness.withDaemon { harness in
            let second = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["run", "--config", harness.configPath, "--log-target", "stderr"])
            #expect(second.status != 0)
            #expect(second.output.contains("another snowpiped (PID "), "\(second.output)")
            #expect(second.output.contains("is running on the state directory \(harness.stateDirectory)"))
            harness.dropCSV("one.csv", firstID: 1, rows: 1, renameIn: true)
            try await DaemonHarness.waitUntil("one.csv is LOADED") { try await states(harness)["LOADED"] == 1 }
            #expect(await harness.fixture.emulator.receivedPaths(pipe: "DB.S.CSV_PIPE") == ["one.csv": 1])
            #expect(await harness.stop() == 0)
            // The lock dies with its holder: a daemon killed with SIGKILL never blocks the next one.
            try await harness.startAndWaitUntilReady()
            #expect(await harness.stop(signal: SIGKILL) == SIGKILL)
            try await harness.startAndWaitUntilReady()
            #expect(await harness.stop() == 0)
        }
    }

    @Test(arguments: ["empty", "foreign"])
    func anOutboxFileThatIsNotOursIsRefusedAndNothingIsResubmitted(kind: String) async throws {
        let harness = try DaemonHarness()
        harness.dropCSV("old.csv", firstID: 1, rows: 1)
        try FileManager.default.createDirectory(atPath: harness.stateDirectory, withIntermediateDirectories: true)
        let outbox = harness.stateDirectory + "/outbox.sqlite"
        if kind == "empty" {
            _ = FileManager.default.createFile(atPath: outbox, contents: nil)
        } else {
            let made = try await ChildProcess.run(
                "/usr/bin/sqlite3", [outbox, "CREATE TABLE t (x); INSERT INTO t VALUES (1);"])
            #expect(made.status == 0, "\(made.output)")
        }
        try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            try harness.configure(port: port(of: base))
            let run = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["run", "--config", harness.configPath, "--log-target", "stderr"])
            #expect(run.status != 0)
            #expect(run.output.contains(outbox), "\(run.output)")
            let expected = kind == "empty" ? "is an empty file (0 bytes)" : "is not a snowpiped outbox"
            #expect(run.output.contains(expected), "\(run.output)")
            #expect(await harness.fixture.emulator.statistics().insertFilesCalls == 0)
        }
        let size = (try FileManager.default.attributesOfItem(atPath: outbox)[.size] as? Int) ?? -1
        #expect(kind == "foreign" ? size > 0 : size == 0, "the file is left as it was")
    }

    @Test func userSignalsAreLoggedAndIgnoredAndACleanStopLogsNoError() async throws {
        try await DaemonHarness.withDaemon { harness in
            for signal in [SIGUSR1, SIGUSR2, SIGPIPE] { harness.signal(signal) }
            try await DaemonHarness.waitUntil("the ignored signals are logged") {
                harness.log.contains("SIGUSR1 received and ignored") && harness.log.contains("SIGUSR2 received")
            }
            harness.dropCSV("after.csv", firstID: 1, rows: 1, renameIn: true)
            try await DaemonHarness.waitUntil("after.csv is LOADED") { try await states(harness)["LOADED"] == 1 }
            #expect(harness.isRunning)
            // Stop in the middle of work: batches being sent, reports being polled, files settling.
            for index in 0..<400 { harness.dropCSV("busy/f\(index).csv", firstID: 10 + index, rows: 1) }
            try await DaemonHarness.waitUntil("some of the busy files are submitted") {
                try await states(harness)["submitted", default: 0] + states(harness)["LOADED", default: 0] > 50
            }
            #expect(await harness.stop() == 0)
            let errors = harness.log.split(separator: "\n").filter { $0.contains(" error ") || $0.contains("Error") }
            #expect(errors.isEmpty, "a clean stop logs no error: \(errors)")
        }
    }

    @Test func aPipeChangedToATypoAndBackSendsNothingTwiceAndLeavesNothingPending() async throws {
        try await DaemonHarness.withDaemon { harness in
            for index in 0..<3 { harness.dropCSV("old\(index).csv", firstID: index, rows: 1, renameIn: true) }
            try await DaemonHarness.waitUntil("the first files are LOADED") {
                try await states(harness)["LOADED"] == 3
            }
            #expect(await harness.stop() == 0)
            // A one-letter typo in `pipe:`: the loaded files are not queued for it; a new file is, and waits.
            try harness.configure(port: harness.port, pipe: "DB.S.CSV_PIPX")
            try await harness.startAndWaitUntilReady()
            try await harness.waitForLog(
                "not queued for pipe DB.S.CSV_PIPX: the outbox has them from pipe DB.S.CSV_PIPE")
            harness.dropCSV("new.csv", firstID: 10, rows: 1, renameIn: true)
            try await harness.waitForLog("HTTP 404")
            #expect(await harness.stop() == 0)
            // The typo fixed: the waiting file goes to the right pipe, nothing is left pending for the typo.
            try harness.configure(port: harness.port)
            try await harness.startAndWaitUntilReady()
            try await DaemonHarness.waitUntil("new.csv is LOADED") { try await states(harness)["LOADED"] == 4 }
            #expect(
                harness.log.contains("pipe DB.S.CSV_PIPX is no longer named by any watch rule: 1 file(s) never sent"))
            let received = await harness.fixture.emulator.receivedPaths(pipe: "DB.S.CSV_PIPE")
            #expect(received == ["old0.csv": 1, "old1.csv": 1, "old2.csv": 1, "new.csv": 1])
            let summaries = try await Outbox(path: harness.stateDirectory + "/outbox.sqlite", readOnly: true).summary()
            let typo = summaries.first { $0.pipe == "DB.S.CSV_PIPX" }
            #expect(typo?.counts["pending"] == nil && typo?.submitProblem == nil, "\(String(describing: typo))")
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aNewOutboxOverFilesAlreadyThereSaysWhatItSubmitsOnce() async throws {
        let setup = DaemonHarness.Setup(prepare: { harness in
            harness.dropCSV("before.csv", firstID: 1, rows: 1)
        })
        try await DaemonHarness.withDaemon(setup) { harness in
            let warning = "a new outbox: the 1 file(s) already in the watched directories are submitted"
            // Said by the start-up scan, which follows READY.
            try await harness.waitForLog(warning)
            try await DaemonHarness.waitUntil("before.csv is LOADED") { try await states(harness)["LOADED"] == 1 }
            #expect(await harness.stop() == 0)
            try await harness.startAndWaitUntilReady()
            // The second start's scan finds the file again (known: nothing recorded, nothing said).
            try await DaemonHarness.waitUntil("the second start has looked at the outbox") {
                try await states(harness)["LOADED"] == 1
            }
            #expect(await harness.stop() == 0)
            #expect(harness.log.components(separatedBy: warning).count == 2, "said once, not at every start")
        }
    }

    @Test func aKeySnowflakeRefusesIsAnErrorOnceThenWarningsUntilItWorksAgain() async throws {
        try await DaemonHarness.withDaemon { harness in
            // The user's registered key changes under the running daemon (a rotation done wrong).
            try await harness.fixture.emulator.setPublicKeys(
                user: EmulatorFixture.user, keys: [TestKeys.secondary.publicKey.pem])
            harness.dropCSV("a.csv", firstID: 1, rows: 1, renameIn: true)
            let advice = "Snowflake refuses this daemon's key pair"
            try await DaemonHarness.waitUntil("the refusal is repeated twice") {
                harness.log.components(separatedBy: "still: \(advice)").count >= 3
            }
            let lines = harness.log.split(separator: "\n").filter { $0.contains(advice) }
            let errors = lines.filter { $0.contains(" error ") }
            #expect(errors.count == 1, "\(lines)")
            #expect(errors.first?.contains("HTTP 401") == true)
            #expect(lines.filter { $0.contains(" warning ") }.count == lines.count - 1)
            try await harness.fixture.emulator.setPublicKeys(
                user: EmulatorFixture.user, keys: [TestKeys.primary.publicKey.pem])
            try await DaemonHarness.waitUntil("a.csv is LOADED once the key is registered again") {
                try await states(harness)["LOADED"] == 1
            }
            #expect(await harness.stop() == 0)
        }
    }

    @Test func retryRefusesLoadedAndPartiallyLoadedWithoutForce() async throws {
        let harness = try DaemonHarness()
        try harness.configure(port: 9)
        for (state, expected) in [
            ("LOADED", "sending it again would load them twice"),
            ("PARTIALLY_LOADED", "add --force if you removed them"),
        ] {
            let retry = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["retry", "--config", harness.configPath, "--state", state])
            #expect(retry.status != 0)
            #expect(retry.output.contains(expected), "\(retry.output)")
        }
    }

    @Test func statusWorksForAGroupMemberWhileTheDaemonRunsAndAfterItStopped() async throws {
        guard await ChildProcess.canRunSnowpiped(asUser: 65534) else {
            print("SKIP statusWorksForAGroupMember…: needs root, and the build reachable by uid 65534")
            return
        }
        try await DaemonHarness.withDaemon { harness in
            harness.dropCSV("a.csv", firstID: 1, rows: 1, renameIn: true)
            try await DaemonHarness.waitUntil("a.csv is LOADED") { try await states(harness)["LOADED"] == 1 }
            // The README's access model: state directory 0750 and files 0640, group snowpiped (here nogroup);
            // the reader is another user in that group, with no write access anywhere in it.
            let group: gid_t = 65534
            chmod(harness.root.path, 0o755)
            chmod(harness.configPath, 0o644)
            func restrict() throws {
                chown(harness.stateDirectory, 0, group)
                chmod(harness.stateDirectory, 0o750)
                for name in try FileManager.default.contentsOfDirectory(atPath: harness.stateDirectory) {
                    chown(harness.stateDirectory + "/" + name, 0, group)
                    chmod(harness.stateDirectory + "/" + name, 0o640)
                }
            }
            func statusAsMember() async throws -> ChildProcess.Result {
                try await ChildProcess.run(
                    "/usr/bin/setpriv",
                    [
                        "--reuid=65534", "--regid=\(group)", "--clear-groups", "--", ChildProcess.product("snowpiped"),
                        "status", "--config", harness.configPath,
                    ])
            }
            try restrict()
            let running = try await statusAsMember()
            #expect(running.status == 0, "\(running.output)")
            #expect(running.stdout.contains("LOADED            1"), "\(running.output)")
            #expect(await harness.stop() == 0)
            try restrict()
            let stopped = try await statusAsMember()
            #expect(stopped.status == 0, "\(stopped.output)")
            #expect(stopped.stdout.contains("LOADED            1"), "\(stopped.output)")
            #expect(stopped.output.contains("readonly") == false)
            // A user outside the group is told it is a permission problem, and how to be let in.
            let outsider = try await ChildProcess.run(
                "/usr/bin/setpriv",
                [
                    "--reuid=65534", "--regid=12345", "--clear-groups", "--", ChildProcess.product("snowpiped"),
                    "status", "--config", harness.configPath,
                ])
            #expect(outsider.status != 0)
            #expect(outsider.output.contains("permission denied"), "\(outsider.output)")
            #expect(outsider.output.contains("usermod -aG snowpiped"), "\(outsider.output)")
            #expect(outsider.output.contains("has `snowpiped run` started") == false)
        }
    }
}
