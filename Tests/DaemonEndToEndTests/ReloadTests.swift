import Foundation
import IngestCore
import Outbox
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("SIGHUP reloads the configuration under load, losing nothing; an invalid one is refused", .serialized)
struct ReloadTests {
    /// The counts by state of one pipe.
    static func counts(_ harness: DaemonHarness, pipe: String) async throws -> [String: Int] {
        let outbox = try Outbox(path: harness.stateDirectory + "/outbox.sqlite", readOnly: true)
        return try await outbox.summary().first { $0.pipe == pipe }?.counts ?? [:]
    }

    /// The harness's configuration with a second rule: `drop/second` into CONT_PIPE (same stage, prefixed).
    static func addSecondRule(_ harness: DaemonHarness) throws {
        let text = try String(contentsOfFile: harness.configPath, encoding: .utf8)
        let rule = """
              - directory: \(harness.drop)/second
                pipe: DB.S.CONT_PIPE
                stage_prefix: second/
                settle_seconds: 0.5
            batching:
            """
        try text.replacingOccurrences(of: "batching:", with: rule).write(
            toFile: harness.configPath, atomically: true, encoding: .utf8)
    }

    @Test func rulesAddedAndRemovedByReloadsUnderLoadLoadEveryFileOnce() async throws {
        try await DaemonHarness.withDaemon { harness in
            try FileManager.default.createDirectory(atPath: harness.drop + "/second", withIntermediateDirectories: true)
            // Files keep arriving while the configuration changes.
            let writer = Task {
                for index in 0..<150 {
                    harness.dropCSV("a\(index).csv", firstID: index, rows: 1, renameIn: true)
                    try await Task.sleep(for: .milliseconds(5))
                }
            }
            try Self.addSecondRule(harness)
            let reload = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["reload", "--config", harness.configPath])
            #expect(reload.status == 0, "\(reload.output)")
            #expect(reload.stdout.contains("reloads it"), "\(reload.output)")
            try await harness.waitForLog("configuration reloaded: 2 watched director(y/ies)")
            try await DaemonHarness.waitUntil("READY again after the reload") { harness.readyCount == 2 }
            for index in 0..<20 {
                harness.dropCSV("second/b\(index).csv", firstID: 1000 + index, rows: 1, renameIn: true)
            }
            try await writer.value
            try await DaemonHarness.waitUntil("every file is LOADED through its pipe", timeout: .seconds(120)) {
                let csv = try await Self.counts(harness, pipe: "DB.S.CSV_PIPE")["LOADED"]
                let cont = try await Self.counts(harness, pipe: "DB.S.CONT_PIPE")["LOADED"]
                return csv == 150 && cont == 20
            }
            // An invalid configuration is refused with its problem; the running one goes on.
            let valid = try String(contentsOfFile: harness.configPath, encoding: .utf8)
            try valid.replacingOccurrences(of: "linger_ms: 100", with: "linger_ms: -5").write(
                toFile: harness.configPath, atomically: true, encoding: .utf8)
            let refused = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["reload", "--config", harness.configPath])
            #expect(refused.status == 78, "\(refused.output)")
            #expect(refused.output.contains("batching.linger_ms"), "\(refused.output)")
            // A SIGHUP sent by other means: the daemon checks for itself.
            harness.signal(SIGHUP)
            try await harness.waitForLog("SIGHUP: the configuration was not reloaded, the running one goes on")
            #expect(harness.log.contains("batching.linger_ms"), "the refusal names the key")
            harness.dropCSV("second/c.csv", firstID: 2000, rows: 1, renameIn: true)
            try await DaemonHarness.waitUntil("second/c.csv is LOADED by the running configuration") {
                try await Self.counts(harness, pipe: "DB.S.CONT_PIPE")["LOADED"] == 21
            }
            // The second rule removed: its files stay CONT_PIPE's, nothing is sent again.
            try harness.configure(port: harness.port)
            harness.signal(SIGHUP)
            try await DaemonHarness.waitUntil("READY a third time") { harness.readyCount == 3 }
            harness.dropCSV("a-last.csv", firstID: 3000, rows: 1, renameIn: true)
            try await DaemonHarness.waitUntil("a-last.csv is LOADED") {
                try await Self.counts(harness, pipe: "DB.S.CSV_PIPE")["LOADED"] == 151
            }
            #expect(harness.isRunning)
            let csv = await harness.fixture.emulator.receivedPaths(pipe: "DB.S.CSV_PIPE")
            let cont = await harness.fixture.emulator.receivedPaths(pipe: "DB.S.CONT_PIPE")
            #expect(csv.count == 151 && csv.values.allSatisfy { $0 == 1 }, "\(csv.filter { $0.value != 1 })")
            #expect(cont.count == 21 && cont.values.allSatisfy { $0 == 1 }, "\(cont.filter { $0.value != 1 })")
            #expect(csv.keys.contains { $0.hasPrefix("second/") } == false, "no file of the removed rule re-sent")
            #expect(await harness.stop() == 0)
        }
    }
}
