import Foundation
import IngestCore
import Outbox
import SnowpipeEmulator
import Synchronization
import TestSupport
import Testing

@Suite("Crashes, faults and report gaps lose nothing and double nothing", .serialized)
struct CrashAndGapTests {
    /// The soak: 20 SIGKILLs at random moments while files arrive in every way real writers write them
    /// (renamed in, written in place, appended in steps, truncated and rewritten), the emulator injects faults
    /// (some after the request took effect), a second daemon is started on the same state directory, and the
    /// emulator itself is restarted half-way (it remembers, as Snowflake does). Afterwards the table holds
    /// exactly the rows of the final files, each once.
    @Test func killedTwentyTimesUnderFaultsEveryFileIsLoadedOnce() async throws {
        let database = TemporaryDirectory("soak-emulator")
        let harness = try DaemonHarness {
            $0.historyScanCallsPerMinute = 0
            $0.databasePath = database.path + "/emulator.sqlite"
        }
        let faults = [
            Fault.status(429, retryAfter: "0.2"), .status(500), .status(503), .drop,
            Fault(drop: true, afterProcessing: true), Fault(status: 500, afterProcessing: true),
        ]
        func injectFaults(_ emulator: SnowpipeEmulator) async {
            for endpoint in Endpoint.allCases {
                await emulator.setFaults(
                    FaultPlan(probability: 0.2, randomFaults: faults, seed: UInt64(endpoint.rawValue.count)),
                    for: endpoint)
            }
        }
        await injectFaults(harness.fixture.emulator)
        let expected = Mutex<[String: Range<Int>]>([:])
        let nextID = Mutex(0)
        /// One round: the daemon starts, files arrive in every way, and it is killed at a random moment.
        @Sendable func round(_ round: Int) async throws {
            let readyBefore = harness.readyCount
            try harness.start()
            var generator = SystemRandomNumberGenerator()
            for index in 0..<15 {
                let name = "r\(round)/f\(index).csv"
                let first = nextID.withLock { id -> Int in
                    defer { id += 4 }
                    return id
                }
                switch index % 4 {
                case 0, 1:
                    harness.dropCSV(name, firstID: first, rows: 2, renameIn: index % 4 == 0)
                    expected.withLock { $0[name] = first..<(first + 2) }
                case 2:
                    // Appended in three steps (open/append/close each), well within the quiet period.
                    let path = harness.drop + "/" + name
                    try? FileManager.default.createDirectory(
                        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    append(csv(first..<(first + 2)), to: path)
                    append(csv((first + 2)..<(first + 3), header: false), to: path)
                    append(csv((first + 3)..<(first + 4), header: false), to: path)
                    expected.withLock { $0[name] = first..<(first + 4) }
                default:
                    // Written, then truncated and rewritten with other rows: only the final rows count.
                    harness.dropCSV(name, firstID: first, rows: 1)
                    let path = harness.drop + "/" + name
                    let fd = open(path, O_WRONLY | O_TRUNC)
                    _ = csv((first + 1)..<(first + 3)).withCString { write(fd, $0, strlen($0)) }
                    close(fd)
                    expected.withLock { $0[name] = (first + 1)..<(first + 3) }
                }
            }
            if round % 5 == 2 {
                // A second daemon on the same state directory refuses to run. It starts once the round's daemon
                // holds the lock: started earlier, it would win the lock and run (and this wait never end).
                try await DaemonHarness.waitUntil("the round's daemon is ready") { harness.readyCount > readyBefore }
                let second = try await ChildProcess.run(
                    ChildProcess.product("snowpiped"),
                    ["run", "--config", harness.configPath, "--log-target", "stderr"])
                #expect(second.status != 0 && second.output.contains("another snowpiped"), "\(second.output)")
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...700, using: &generator)))
            await harness.stop(signal: SIGKILL)
        }
        let port = try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            let port = Int(base.split(separator: ":").last!)!
            try harness.configure(port: port, settleSeconds: 2)
            for index in 0..<10 { try await round(index) }
            return port
        }
        // The emulator restarts on the same port, from its database.
        let restarted = try harness.fixture.restarted()
        await injectFaults(restarted.emulator)
        try await LiveEmulator.withServer(restarted.emulator, port: port) { _ in
            for index in 10..<20 { try await round(index) }
            for endpoint in Endpoint.allCases { await restarted.emulator.setFaults(nil, for: endpoint) }
            try await harness.startAndWaitUntilReady()
            let files = expected.withLock { $0 }
            do {
                try await DaemonHarness.waitUntil("every file is LOADED after the last restart", timeout: .seconds(120))
                {
                    try await states(harness)["LOADED"] == files.count
                }
            } catch {
                let keep = "/tmp/snowpiped-crash-artifacts-\(UUID().uuidString.prefix(8))"
                try? FileManager.default.copyItem(atPath: harness.root.path, toPath: keep)
                let outbox = try Outbox(path: harness.stateDirectory + "/outbox.sqlite", readOnly: true)
                let stuck = try await outbox.files(inStates: [.submitted, .pending])
                let lines = stuck.prefix(10).map {
                    "\($0.stagePath) state=\($0.state) batch=\($0.batchID ?? -1) maybe=\($0.maybeSkipped)"
                }
                Issue.record(
                    "states \(try await states(harness)); artifacts in \(keep); stuck:\n\(lines.joined(separator: "\n"))"
                )
                throw error
            }
            // Rows in the table are exactly the rows of the final files, each once (across both emulator lives).
            let rows = try await restarted.emulator.rows(of: "DB.S.T")
            var seen: [String: [Int]] = [:]
            for row in rows { seen[row[3]!, default: []].append(Int(row[0]!)!) }
            #expect(rows.count == files.values.map(\.count).reduce(0, +), "rows in the table")
            for (path, ids) in files { #expect(seen[path]?.sorted() == Array(ids), "rows of \(path)") }
            #expect(try await states(harness).keys.sorted() == ["LOADED"])
            let status = await harness.stop()
            let tail = harness.log.split(separator: "\n").suffix(15).joined(separator: "\n")
            #expect(status == 0, "exit status \(status); log tail:\n\(tail)")
        }
    }

    @Test func aReportGapIsRecoveredWithLoadHistoryScan() async throws {
        // Loads happen only when the test moves the emulator clock.
        try await DaemonHarness.withDaemon(.init(adjust: { $0.loadDelaySeconds = 30 })) { harness in
            harness.dropCSV("gap.csv", firstID: 1, rows: 5)
            let outbox = { try Outbox(path: harness.stateDirectory + "/outbox.sqlite", readOnly: true) }
            try await DaemonHarness.waitUntil("gap.csv is submitted and reports were read once") {
                guard try await states(harness)["submitted"] == 1 else { return false }
                return try await outbox().reportCursor(pipe: "DB.S.CSV_PIPE").beginMark != nil
            }
            await harness.stop(signal: SIGKILL)
            await harness.fixture.emulator.advanceClock(by: 31)  // the file loads: one event
            await harness.fixture.emulator.advanceClock(by: 11 * 60)  // the event leaves insertReport
            let scansBefore = await harness.fixture.emulator.statistics().loadHistoryScanCalls
            try await harness.startAndWaitUntilReady()
            try await DaemonHarness.waitUntil("gap.csv is LOADED") { try await states(harness)["LOADED"] == 1 }
            #expect(await harness.fixture.emulator.statistics().loadHistoryScanCalls > scansBefore)
            #expect(harness.log.contains("insertReport completeResult=false"))
            try await harness.waitForLog("LOADED gap.csv into DB.S.CSV_PIPE: 5 rows")
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aHistoryScanCutShortByA429ResumesWhereItStopped() async throws {
        // A 2-event ring and 3-entry history pages: 12 loads at once leave a gap that takes several pages.
        let harness = try DaemonHarness {
            $0.loadDelaySeconds = 30
            $0.reportCapacity = 2
            $0.historyPageSize = 3
        }
        // Every third loadHistoryScan call is refused. A scan that started over from the gap after each refusal
        // would read the same two pages for as long as the script lasts (far beyond the test's deadline).
        let refusals = [Fault.none, .none, .status(429, retryAfter: "0.1")]
        await harness.fixture.emulator.setFaults(
            FaultPlan(script: Array(repeating: refusals, count: 1000).flatMap { $0 }), for: .loadHistoryScan)
        try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            try harness.configure(port: Int(base.split(separator: ":").last!)!)
            try await harness.startAndWaitUntilReady()
            var expected: [String: Range<Int>] = [:]
            for index in 0..<12 {
                harness.dropCSV("p\(index).csv", firstID: index * 10, rows: 2)
                expected["p\(index).csv"] = (index * 10)..<(index * 10 + 2)
            }
            let outbox = { try Outbox(path: harness.stateDirectory + "/outbox.sqlite", readOnly: true) }
            try await DaemonHarness.waitUntil("every file is submitted and reports were read once") {
                guard (try? await states(harness))?["submitted"] == 12 else { return false }
                return try await outbox().reportCursor(pipe: "DB.S.CSV_PIPE").beginMark != nil
            }
            await harness.fixture.emulator.advanceClock(by: 31)  // 12 loads; the ring keeps the last 2 events
            do {
                try await DaemonHarness.waitUntil("every file is LOADED", timeout: .seconds(60)) {
                    (try? await states(harness))?["LOADED"] == 12
                }
            } catch {
                let tail = harness.log.split(separator: "\n").suffix(20).joined(separator: "\n")
                Issue.record("states \((try? await states(harness)) ?? [:]); log tail:\n\(tail)")
                throw error
            }
            try await expectExactlyOnce(harness, files: expected)
            #expect(harness.log.contains("insertReport completeResult=false"))
            #expect(harness.log.contains("HTTP 429"))
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aFileWithNoReportByTheDeadlineEndsNotReported() async throws {
        let harness = try DaemonHarness { $0.loadDelaySeconds = 3600 }
        try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            try harness.configure(
                port: Int(base.split(separator: ":").last!)!, extra: "  deadline_minutes: 0.05\n")
            try await harness.startAndWaitUntilReady()
            harness.dropCSV("never.csv", firstID: 1, rows: 1)
            try await DaemonHarness.waitUntil("never.csv is NOT_REPORTED") {
                try await states(harness)["NOT_REPORTED"] == 1
            }
            try await harness.waitForLog("NOT_REPORTED never.csv in DB.S.CSV_PIPE")
            #expect(await harness.fixture.emulator.statistics().loadHistoryScanCalls >= 1)
            #expect(await harness.stop() == 0)
        }
    }
}
