import Foundation
import IngestCore
import Outbox
import SnowpipeEmulator
import TestSupport
import Testing

/// inotify's limits reached for real: the watch limit in a private user namespace (its own
/// `/proc/sys/user/max_inotify_watches`), the event queue by lowering `fs.inotify.max_queued_events` for the
/// moment the daemon creates its inotify instance (the size is fixed then). Both need root.
@Suite("inotify limits reached: the daemon says so and still loads every file", .serialized)
struct InotifyLimitTests {
    @Test func theWatchLimitFallsBackToScansWithTheSysctlToRaise() async throws {
        let probe = try? await ChildProcess.run(
            "/usr/bin/unshare",
            ["--user", "--map-root-user", "/bin/sh", "-c", "echo 3 > /proc/sys/user/max_inotify_watches"])
        guard getuid() == 0, probe?.status == 0 else {
            print("SKIP theWatchLimitFallsBackToScans…: needs root and user namespaces with their own inotify limits")
            return
        }
        let harness = try DaemonHarness()
        var early: [String: Range<Int>] = [:]
        for index in 0..<6 {
            harness.dropCSV("d\(index)/early.csv", firstID: index, rows: 1)
            early["d\(index)/early.csv"] = index..<(index + 1)
        }
        let found = early
        try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            try harness.configure(port: port(of: base))
            let limited = [
                "/usr/bin/unshare", "--user", "--map-root-user", "/bin/sh", "-c",
                "echo 3 > /proc/sys/user/max_inotify_watches && exec \"$0\" \"$@\"",
            ]
            try await harness.startAndWaitUntilReady(wrapper: limited)
            try await harness.waitForLog("the inotify watch limit is reached")
            #expect(harness.log.contains("fs.inotify.max_user_watches"))
            // Files in unwatched directories are found by the scans that replace the missing watches.
            var expected = found
            for index in 0..<6 {
                harness.dropCSV("d\(index)/late.csv", firstID: 100 + index, rows: 1, renameIn: true)
                expected["d\(index)/late.csv"] = (100 + index)..<(101 + index)
            }
            let count = expected.count
            try await DaemonHarness.waitUntil("every file is LOADED", timeout: .seconds(90)) {
                try await states(harness)["LOADED"] == count
            }
            try await expectExactlyOnce(harness, files: expected)
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aQueueOverflowIsRescannedAndNothingIsLost() async throws {
        let setting = "/proc/sys/fs/inotify/max_queued_events"
        guard getuid() == 0, let original = try? String(contentsOfFile: setting, encoding: .utf8),
            (try? original.write(toFile: setting, atomically: false, encoding: .utf8)) != nil
        else {
            print("SKIP aQueueOverflowIsRescanned…: needs root and a writable fs.inotify.max_queued_events")
            return
        }
        let harness = try DaemonHarness()
        try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            try harness.configure(port: port(of: base))
            // The queue size is taken when the daemon creates its instance: lowered only until it is READY.
            try "16\n".write(toFile: setting, atomically: false, encoding: .utf8)
            do {
                try await harness.startAndWaitUntilReady()
            } catch {
                try? original.write(toFile: setting, atomically: false, encoding: .utf8)
                throw error
            }
            try original.write(toFile: setting, atomically: false, encoding: .utf8)
            // The daemon is paused (SIGSTOP) while far more than 16 events arrive: the kernel queue overflows.
            harness.signal(SIGSTOP)
            var expected: [String: Range<Int>] = [:]
            for index in 0..<100 {
                harness.dropCSV("burst-\(index).csv", firstID: index, rows: 1, renameIn: true)
                expected["burst-\(index).csv"] = index..<(index + 1)
            }
            harness.signal(SIGCONT)
            let count = expected.count
            try await DaemonHarness.waitUntil("every file is LOADED", timeout: .seconds(90)) {
                try await states(harness)["LOADED"] == count
            }
            try await harness.waitForLog("the inotify queue overflowed")
            try await expectExactlyOnce(harness, files: expected)
            #expect(await harness.stop() == 0)
        }
    }
}
