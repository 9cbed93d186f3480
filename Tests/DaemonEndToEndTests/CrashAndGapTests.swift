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
