import Foundation
import IngestCore
import Outbox
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("Crashes, faults and report gaps lose nothing and double nothing", .serialized)
struct CrashAndGapTests {
    @Test func killedTwentyTimesUnderFaultsEveryFileIsLoadedOnce() async throws {
        let harness = try DaemonHarness { $0.historyScanCallsPerMinute = 0 }
        let faults = [
            Fault.status(429, retryAfter: "0.2"), .status(500), .status(503), .drop,
            Fault(drop: true, afterProcessing: true), Fault(status: 500, afterProcessing: true),
        ]
        for endpoint in Endpoint.allCases {
            await harness.fixture.emulator.setFaults(
                FaultPlan(probability: 0.2, randomFaults: faults, seed: UInt64(endpoint.rawValue.count)), for: endpoint)
        }
        try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            try harness.configure(port: Int(base.split(separator: ":").last!)!)
            var expected: [String: Range<Int>] = [:]
            var generator = SystemRandomNumberGenerator()
            var nextID = 0
            for round in 0..<20 {
                try harness.start()
                // Files keep arriving while the daemon runs, and it is killed at a random moment.
                for index in 0..<15 {
                    let name = "r\(round)/f\(index).csv"
                    harness.dropCSV(name, firstID: nextID, rows: 2, renameIn: index % 2 == 0)
                    expected[name] = nextID..<(nextID + 2)
                    nextID += 2
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 50...700, using: &generator)))
                await harness.stop(signal: SIGKILL)
            }
            for endpoint in Endpoint.allCases { await harness.fixture.emulator.setFaults(nil, for: endpoint) }
            try await harness.startAndWaitUntilReady()
            do {
                try await DaemonHarness.waitUntil("every file is LOADED after the last restart", timeout: .seconds(90))
                {
                    try await states(harness)["LOADED"] == expected.count
                }
            } catch {
                let keep = "/tmp/snowpiped-crash-artifacts-\(UUID().uuidString.prefix(8))"
                try? FileManager.default.copyItem(atPath: harness.root.path, toPath: keep)
                let outbox = try Outbox(path: harness.stateDirectory + "/outbox.sqlite", readOnly: true)
                let stuck = try await outbox.files(inStates: [.submitted, .pending])
                let received = await harness.fixture.emulator.receivedPaths(pipe: "DB.S.CSV_PIPE")
                let lines = stuck.prefix(10).map {
                    "\($0.stagePath) state=\($0.state) batch=\($0.batchID ?? -1) maybe=\($0.maybeSkipped) "
                        + "received=\(received[$0.stagePath] ?? 0)"
                }
                Issue.record(
                    "states \(try await states(harness)); artifacts in \(keep); stuck:\n\(lines.joined(separator: "\n"))"
                )
                throw error
            }
            try await expectExactlyOnce(harness, files: expected)
            #expect(try await states(harness).keys.sorted() == ["LOADED"])
            let received = await harness.fixture.emulator.receivedPaths(pipe: "DB.S.CSV_PIPE")
            #expect(received.count == expected.count)
            let status = await harness.stop()
            let tail = harness.log.split(separator: "\n").suffix(15).joined(separator: "\n")
            #expect(status == 0, "exit status \(status); log tail:\n\(tail)")
        }
    }

    @Test func aReportGapIsRecoveredWithLoadHistoryScan() async throws {
        // Loads happen only when the test moves the emulator clock.
        let harness = try DaemonHarness { $0.loadDelaySeconds = 30 }
        try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            try harness.configure(port: Int(base.split(separator: ":").last!)!)
            try await harness.startAndWaitUntilReady()
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
            #expect(harness.log.contains("LOADED gap.csv into DB.S.CSV_PIPE: 5 rows"))
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
            #expect(harness.log.contains("NOT_REPORTED never.csv in DB.S.CSV_PIPE"))
            #expect(await harness.fixture.emulator.statistics().loadHistoryScanCalls >= 1)
            #expect(await harness.stop() == 0)
        }
    }
}
