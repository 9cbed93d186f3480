import Foundation
import IngestCore
import Outbox
import SnowpipeEmulator
import TestSupport
import Testing

/// CSV text with a header and rows whose IDs are `ids`.
func csv(_ ids: Range<Int>, header: Bool = true) -> String {
    (header ? "ID,NAME,AMOUNT\n" : "") + ids.map { "\($0),n\($0),\($0).5\n" }.joined()
}

/// Appends `text` to `path` with open/append/close, as a writer that writes in steps does.
func append(_ text: String, to path: String) {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    _ = text.withCString { write(fd, $0, strlen($0)) }
    close(fd)
}

/// Every outbox row, oldest first.
func records(_ harness: DaemonHarness) async throws -> [FileRecord] {
    let outbox = try Outbox(path: harness.stateDirectory + "/outbox.sqlite", readOnly: true)
    return try await outbox.files(inStates: FileState.allCases)
}

@Suite("Files written the way real writers write them load completely, once", .serialized)
struct RealWriterTests {
    @Test func aFileClosedSeveralTimesIsSentOnceWithAllItsRows() async throws {
        try await DaemonHarness.withDaemon(settleSeconds: 1) { harness in
            // Appended in steps (four open/append/close, 150 ms apart: longer than a batch's linger, shorter than
            // the quiet period), and created empty (renamed in, as FileManager does) then written. The pauses are
            // the writers' own.
            let steps = harness.drop + "/steps.csv"
            let touched = harness.drop + "/touched.csv"
            append(csv(0..<5), to: steps)
            _ = FileManager.default.createFile(atPath: touched, contents: nil)
            for step in 1..<4 {
                try await Task.sleep(for: .milliseconds(150))
                append(csv((step * 5)..<(step * 5 + 5), header: false), to: steps)
                if step == 2 { append(csv(100..<103), to: touched) }
            }
            try await DaemonHarness.waitUntil("both files are LOADED") { try await states(harness)["LOADED"] == 2 }
            try await expectExactlyOnce(harness, files: ["steps.csv": 0..<20, "touched.csv": 100..<103])
            let received = await harness.fixture.emulator.receivedPaths(pipe: "DB.S.CSV_PIPE")
            #expect(received == ["steps.csv": 1, "touched.csv": 1], "each path sent once")
            #expect(try await states(harness) == ["LOADED": 2])
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aFileChangedAfterItWasSentIsReportedNotLoadableWithAdviceThatLoadsNothingTwice() async throws {
        try await DaemonHarness.withDaemon { harness in
            let path = harness.drop + "/log.csv"
            append(csv(0..<3), to: path)
            try await DaemonHarness.waitUntil("the first version is LOADED") {
                try await states(harness)["LOADED"] == 1
            }
            append(csv(3..<5, header: false), to: path)
            try await DaemonHarness.waitUntil("the new version is recorded") {
                try await states(harness)["SKIPPED"] == 1
            }
            let skipped = try #require(try await records(harness).first { $0.state == .skipped })
            #expect(skipped.size > 0)
            try await harness.waitForLog("SKIPPED log.csv in DB.S.CSV_PIPE: this file changed after its path was sent")
            #expect(harness.log.contains("put only the new rows in a file with a new name"))
            #expect(harness.log.contains("Rename the file to load it now") == false)
            // The table holds the first version's rows once; the daemon did not send the path again.
            try await expectExactlyOnce(harness, files: ["log.csv": 0..<3])
            #expect(await harness.fixture.emulator.receivedPaths(pipe: "DB.S.CSV_PIPE") == ["log.csv": 1])
            let status = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["status", "--config", harness.configPath, path])
            #expect(status.stdout.contains("state: LOADED"))
            #expect(status.stdout.contains("state: SKIPPED"))
            #expect(await harness.stop() == 0)
        }
    }

    @Test func filesStillBeingWrittenByCommonToolsAreNotTaken() async throws {
        try await DaemonHarness.withDaemon { harness in
            let temporary = [
                "#orders.csv#", "orders.csv.swp", "report.csv.crdownload", "upload.csv.filepart", ".orders.csv.Xa81Qz",
                "sync.csv.partial", "page.csv.download", "x.csv.tmp", "x.csv.part", "x.csv~", "~$budget.csv",
            ]
            for name in temporary { append(csv(0..<1), to: harness.drop + "/" + name) }
            harness.dropCSV("real.csv", firstID: 1, rows: 1, renameIn: true)
            try await DaemonHarness.waitUntil("real.csv is LOADED") { try await states(harness)["LOADED"] == 1 }
            #expect(try await records(harness).map(\.stagePath) == ["real.csv"])
            #expect(await harness.stop() == 0)
        }
    }
}
