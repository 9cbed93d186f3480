import Foundation
import IngestCore
import Outbox
import SnowpipeEmulator
import TestSupport
import Testing

/// Counts outbox rows by state (read-only, while the daemon runs).
func states(_ harness: DaemonHarness) async throws -> [String: Int] {
    let path = harness.stateDirectory + "/outbox.sqlite"
    guard FileManager.default.fileExists(atPath: path) else { return [:] }
    let outbox = try Outbox(path: path, readOnly: true)
    return try await outbox.summary().first?.counts ?? [:]
}

/// The port of a live emulator's base URL (`http://127.0.0.1:PORT`).
func port(of base: String) -> Int { Int(base.split(separator: ":").last!)! }

/// Checks the emulator's table holds exactly the rows of the files: each file's IDs once, nothing else.
func expectExactlyOnce(_ harness: DaemonHarness, files: [String: Range<Int>]) async throws {
    let rows = try await harness.fixture.emulator.rows(of: "DB.S.T")
    var seen: [String: [Int]] = [:]
    for row in rows { seen[row[3]!, default: []].append(Int(row[0]!)!) }
    #expect(rows.count == files.values.map(\.count).reduce(0, +), "rows in the table")
    for (path, ids) in files {
        #expect(seen[path]?.sorted() == Array(ids), "rows of \(path)")
    }
    let stats = await harness.fixture.emulator.statistics()
    #expect(stats.filesByStatus["LOADED"] == files.count, "each file loaded once")
}

@Suite("The daemon delivers every file exactly once", .serialized)
struct DeliveryTests {
    @Test func filesArrivingInEveryWayEndLoadedExactlyOnce() async throws {
        let harness = try DaemonHarness()
        try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            try harness.configure(port: Int(base.split(separator: ":").last!)!)
            harness.dropCSV("before-start.csv", firstID: 1, rows: 3)  // present before the daemon starts
            try await harness.startAndWaitUntilReady()
            try await DaemonHarness.waitUntil("the startup scan recorded the first file") {
                try await states(harness)["LOADED"] == 1
            }
            var expected: [String: Range<Int>] = ["before-start.csv": 1..<4]
            harness.dropCSV("written.csv", firstID: 10, rows: 2)
            expected["written.csv"] = 10..<12
            harness.dropCSV("renamed.csv", firstID: 20, rows: 4, renameIn: true)
            expected["renamed.csv"] = 20..<24
            harness.dropCSV("new/deeper/nested.csv", firstID: 30, rows: 1)
            expected["new/deeper/nested.csv"] = 30..<31
            // A whole directory renamed in, files already inside.
            let outside = harness.root.path + "/outside"
            try FileManager.default.createDirectory(atPath: outside + "/sub", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(
                atPath: outside + "/sub/moved.csv", contents: Data("ID,NAME,AMOUNT\n40,x,1\n".utf8))
            rename(outside, harness.drop + "/moved-dir")
            expected["moved-dir/sub/moved.csv"] = 40..<41
            // Ignored by the default excludes.
            _ = FileManager.default.createFile(atPath: harness.drop + "/.hidden.csv", contents: Data("x".utf8))
            _ = FileManager.default.createFile(atPath: harness.drop + "/partial.csv.part", contents: Data("x".utf8))
            for index in 0..<200 {
                harness.dropCSV("burst/f\(index).csv", firstID: 1000 + index * 10, rows: 2)
                expected["burst/f\(index).csv"] = (1000 + index * 10)..<(1000 + index * 10 + 2)
            }
            try await DaemonHarness.waitUntil("every file is LOADED") {
                try await states(harness)["LOADED"] == expected.count
            }
            try await expectExactlyOnce(harness, files: expected)
            #expect(try await states(harness).keys.sorted() == ["LOADED"])
            #expect(await harness.stop() == 0, "SIGTERM drains and exits 0")
            #expect(harness.log.contains("LOADED written.csv into DB.S.CSV_PIPE: 2 rows"))
        }
    }

    @Test func aBurstOf20000FilesIsDeliveredWithoutLoss() async throws {
        try await DaemonHarness.withDaemon(.init(adjust: { $0.historyScanCallsPerMinute = 0 })) { harness in
            try await DaemonHarness.waitUntil("the daemon is ready") { harness.log.contains("ready") }
            var expected: [String: Range<Int>] = [:]
            for index in 0..<20_000 {
                let directory = "d\(index % 20)"
                harness.dropCSV("\(directory)/f\(index).csv", firstID: index, rows: 1)
                expected["\(directory)/f\(index).csv"] = index..<(index + 1)
            }
            try await DaemonHarness.waitUntil("20,000 files are LOADED", timeout: .seconds(240)) {
                try await states(harness)["LOADED"] == 20_000
            }
            try await expectExactlyOnce(harness, files: expected)
            let stats = await harness.fixture.emulator.statistics()
            // Batched: how many calls depends on how fast the test writes files against the linger (and each
            // written file's quiet period ends at its own instant), but one call per file (or per few files) would
            // mean batching is broken: at least 50 files a call on average.
            #expect(stats.insertFilesCalls <= 400, "batched: \(stats.insertFilesCalls) insertFiles calls")
            #expect(await harness.stop() == 0)
        }
    }

    @Test func badRowsEndAsOnErrorSaysWithTheFirstErrorShown() async throws {
        try await DaemonHarness.withDaemon { harness in
            _ = FileManager.default.createFile(
                atPath: harness.drop + "/bad.csv", contents: Data("ID,NAME,AMOUNT\n1,a,1\n2,b,oops\n".utf8))
            // `status --wait` returns once the file has its final status, which it shows.
            let waited = try await ChildProcess.run(
                ChildProcess.product("snowpiped"),
                ["status", "--config", harness.configPath, "--wait", "60", harness.drop + "/bad.csv"])
            #expect(waited.status == 0, "\(waited.output)")
            #expect(waited.stdout.contains("state: LOAD_FAILED"), "\(waited.output)")
            #expect(try await states(harness)["LOAD_FAILED"] == 1)
            let never = try await ChildProcess.run(
                ChildProcess.product("snowpiped"),
                ["status", "--config", harness.configPath, "--wait", "0.3", harness.drop + "/never.csv"])
            #expect(never.status == 1)
            #expect(never.output.contains("never.csv: not recorded yet (settling?) after 0.3 s"), "\(never.output)")
            let status = try await ChildProcess.run(
                ChildProcess.product("snowpiped"),
                ["status", "--config", harness.configPath, "--json", harness.drop + "/bad.csv"])
            #expect(status.status == 0, "\(status.output)")
            #expect(status.stdout.contains("Numeric value 'oops' is not recognized"))
            #expect(status.stdout.contains("\"firstErrorLine\" : 3"))
            try await harness.waitForLog("LOAD_FAILED bad.csv in DB.S.CSV_PIPE: Numeric value 'oops' is not recognized")
            #expect(await harness.stop() == 0)
        }
    }

    @Test func statusCountsTheFilesStillSettlingAsTheStatusLineDoes() async throws {
        try await DaemonHarness.withDaemon(settleSeconds: 3600) { harness in
            // Written in place (closed after writing, not renamed in): it waits its hour of quiet, outside the outbox.
            let path = harness.drop + "/slow.csv"
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            #expect(descriptor >= 0)
            let text = Array("ID,NAME,AMOUNT\n1,a,1.5\n".utf8)
            #expect(text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == text.count)
            close(descriptor)
            let deadline = ContinuousClock.now + .seconds(30)
            var shown = ""
            while ContinuousClock.now < deadline {
                let status = try await ChildProcess.run(
                    ChildProcess.product("snowpiped"), ["status", "--config", harness.configPath])
                shown = status.output
                if shown.contains("settling: 1 file(s)") { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(shown.contains("settling: 1 file(s) written but not yet quiet"), "\(shown)")
            let json = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["status", "--config", harness.configPath, "--json"])
            #expect(json.stdout.contains("\"settling\" : 1"), "\(json.output)")
            #expect(await harness.stop() == 0)
        }
    }

    @Test func continueOnErrorEndsPartiallyLoaded() async throws {
        try await DaemonHarness.withDaemon(pipe: "DB.S.CONT_PIPE") { harness in
            _ = FileManager.default.createFile(
                atPath: harness.drop + "/mixed.csv", contents: Data("ID,NAME,AMOUNT\n1,a,1\n2,b,x\n3,c,3\n".utf8))
            try await DaemonHarness.waitUntil("mixed.csv partially loaded") {
                try await states(harness)["PARTIALLY_LOADED"] == 1
            }
            #expect(try await harness.fixture.emulator.rows(of: "DB.S.T").count == 2)
            try await harness.waitForLog("PARTIALLY_LOADED mixed.csv into DB.S.CONT_PIPE: 2 of 3 rows, 1 error")
            #expect(await harness.stop() == 0)
        }
    }
}

@Suite("After-load and after-failure actions", .serialized)
struct AfterActionTests {
    @Test func loadedFilesAreMovedAndFailedOnesQuarantinedWithASidecar() async throws {
        let harness = try DaemonHarness()
        let loadedDirectory = harness.root.path + "/loaded"
        let quarantine = harness.root.path + "/quarantine"
        try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            try harness.configure(
                port: Int(base.split(separator: ":").last!)!,
                watchExtra: """
                        after_load: move
                        after_load_directory: \(loadedDirectory)
                        after_failure: quarantine
                        quarantine_directory: \(quarantine)
                    """)
            try await harness.startAndWaitUntilReady()
            harness.dropCSV("sub/good.csv", firstID: 1, rows: 2)
            _ = FileManager.default.createFile(
                atPath: harness.drop + "/bad.csv", contents: Data("ID,NAME,AMOUNT\n1,a,nope\n".utf8))
            try await DaemonHarness.waitUntil("both files are acted on") {
                FileManager.default.fileExists(atPath: loadedDirectory + "/sub/good.csv")
                    && FileManager.default.fileExists(atPath: quarantine + "/bad.csv.error.json")
                    && FileManager.default.fileExists(atPath: quarantine + "/bad.csv")
            }
            #expect(FileManager.default.fileExists(atPath: harness.drop + "/sub/good.csv") == false)
            #expect(FileManager.default.fileExists(atPath: harness.drop + "/bad.csv") == false)
            let sidecar =
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: quarantine + "/bad.csv.error.json"))) as? [String: Any]
            #expect(sidecar?["status"] as? String == "LOAD_FAILED")
            #expect(sidecar?["firstError"] as? String == "Numeric value 'nope' is not recognized")
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aMoveTargetInsideTheWatchedDirectoryIsAConfigurationError() async throws {
        let harness = try DaemonHarness()
        try harness.configure(
            port: 9,
            watchExtra: """
                    after_load: move
                    after_load_directory: \(harness.drop)/done
                """)
        let result = try await ChildProcess.run(
            ChildProcess.product("snowpiped"), ["run", "--config", harness.configPath])
        #expect(result.status != 0)
        #expect(result.output.contains("is inside the watched directory"))
    }
}
