import Foundation
import IngestCore
import Outbox
import SnowpipeEmulator
import TestSupport
import Testing

@testable import SnowpipeDaemon

@Suite("The batcher and reporter on a manual clock: hours of daemon time in milliseconds", .serialized)
struct ServicesOnAManualClockTests {
    @Test func aDroppedFileIsSubmittedAndLoadedAfterOneLingerAndOnePoll() async throws {
        let rig = try ServiceRig(lingerMilliseconds: 200, pollSeconds: 5)
        rig.start()
        let path = try await rig.drop("a.csv", rows: 3)
        try await rig.run(until: "a.csv is LOADED") { try await rig.state(of: path) == .loaded }
        await rig.stop()
        // One linger (0.2 s), the load delay (1 s) and one poll interval (5 s): never a real second.
        #expect(rig.elapsed >= .milliseconds(200))
        #expect(rig.elapsed <= .milliseconds(5_300))
        #expect(try await rig.fixture.emulator.rows(of: "DB.S.T").count == 3)
        #expect(await rig.fixture.emulator.statistics().insertFilesCalls == 1)
    }

    @Test func aBatchThatFillsDuringTheLingerIsSentAtOnce() async throws {
        let rig = try ServiceRig(lingerMilliseconds: 60_000, maxFiles: 3)
        rig.start()
        let first = try await rig.drop("1.csv", rows: 1)
        // The batcher now sleeps until the end of its one-minute linger.
        try await rig.run(until: "the batcher lingers") { rig.clock.sleeperCount == rig.serviceCount }
        try await rig.drop("2.csv", rows: 1, firstID: 2)
        try await rig.drop("3.csv", rows: 1, firstID: 3)
        try await rig.run(until: "the full batch is submitted") { try await rig.state(of: first) != .pending }
        await rig.stop()
        #expect(rig.elapsed < .seconds(1))
        #expect(await rig.fixture.emulator.statistics().insertFilesCalls == 1)
    }

    /// Records `count` one-row CSV files written into the stage, as the watcher would.
    static func record(_ rig: ServiceRig, _ range: Range<Int>) async throws {
        var discovered: [DiscoveredFile] = []
        for index in range {
            let text = "ID,NAME,AMOUNT\n\(index),n,1.5\n"
            let path = rig.fixture.stage.create("f\(index).csv", text)
            discovered.append(
                DiscoveredFile(
                    pipe: ServiceRig.pipe, localPath: path, stagePath: "f\(index).csv", size: Int64(text.utf8.count),
                    mtimeNanoseconds: 1))
        }
        _ = try await rig.outbox.record(discovered, now: rig.clock.date)
        rig.context.signals(ServiceRig.pipe).pending.signal()
    }

    @Test func aPipeStoppedAndResumedWhile20000FilesFlowRejectsNoneSaysSoAndLoadsEachOnce() async throws {
        let rig = try ServiceRig(lingerMilliseconds: 200, pollSeconds: 5, loadDelaySeconds: 1)
        await rig.fixture.emulator.setExecutionState(.stoppedCloned, pipe: ServiceRig.pipe)
        rig.start()
        try await Self.record(rig, 0..<10_000)
        try await rig.run(until: "the pause is in the outbox for status") {
            try await rig.outbox.summary().first?.submitProblem?.contains("STOPPED_CLONED") == true
        }
        #expect(rig.log.contains("is taken as the pipe's"))
        try await Self.record(rig, 10_000..<20_000)
        await rig.fixture.emulator.setExecutionState(.running, pipe: ServiceRig.pipe)
        try await rig.run(until: "every file is LOADED") {
            try await rig.outbox.summary().first?.counts["LOADED"] == 20_000
        }
        await rig.stop()
        let summary = try #require(try await rig.outbox.summary().first)
        #expect(summary.counts["REJECTED"] == nil)
        #expect(summary.submitProblem == nil)
        let received = await rig.fixture.emulator.receivedPaths(pipe: ServiceRig.pipe)
        #expect(received.count == 20_000 && received.values.allSatisfy { $0 == 1 })
        #expect(try await rig.fixture.emulator.rows(of: "DB.S.T").count == 20_000)
        // Depth-first: from 5000 files to one in about 13 calls, then a probe per backoff; never a call per batch
        // of every level of the split.
        #expect(await rig.fixture.emulator.statistics().insertFilesCalls < 200)
    }

    @Test func anIdleDaemonMakesNoRequestIn24VirtualHoursBeforeOrAfterWork() async throws {
        let rig = try ServiceRig(lingerMilliseconds: 200, pollSeconds: 5)
        rig.start()
        #expect(try await rig.requests(during: .seconds(86_400)) == 0)
        let path = try await rig.drop("one.csv", rows: 1)
        try await rig.run(until: "one.csv is LOADED", limit: .seconds(200_000)) {
            try await rig.state(of: path) == .loaded
        }
        #expect(try await rig.requests(during: .seconds(86_400)) == 0)
        await rig.stop()
    }

    @Test func aTwoHourOutageIsFilledFromTheLoadHistory() async throws {
        let rig = try ServiceRig(pollSeconds: 5, loadDelaySeconds: 30)
        rig.start()
        let path = try await rig.drop("outage.csv", rows: 4)
        try await rig.run(until: "submitted") { try await rig.state(of: path) == .submitted }
        await rig.stop()
        // The daemon is down for two hours: the file loads meanwhile and its event leaves insertReport.
        await rig.fixture.emulator.advanceClock(by: 7200)
        rig.clock.advance(by: .seconds(7200))
        rig.start()
        try await rig.run(until: "LOADED after the outage") { try await rig.state(of: path) == .loaded }
        await rig.stop()
        #expect(rig.log.contains("reports not read for over 10 minutes"))
        #expect(await rig.fixture.emulator.statistics().loadHistoryScanCalls >= 1)
        #expect(try await rig.fixture.emulator.rows(of: "DB.S.T").count == 4)
    }

    @Test func aFileAfterAQuietQuarterHourReadsNoHistoryAndWarnsOfNoGap() async throws {
        let rig = try ServiceRig(pollSeconds: 5, loadDelaySeconds: 1)
        rig.start()
        let first = try await rig.drop("first.csv", rows: 1)
        try await rig.run(until: "first.csv is LOADED") { try await rig.state(of: first) == .loaded }
        // Nothing awaited for 15 minutes: reports were not read, and nothing that matters was missed.
        await rig.fixture.emulator.advanceClock(by: 900)
        rig.clock.advance(by: .seconds(900))
        let second = try await rig.drop("second.csv", rows: 1, firstID: 2)
        try await rig.run(until: "second.csv is LOADED") { try await rig.state(of: second) == .loaded }
        await rig.stop()
        #expect(rig.log.contains("may have missed events") == false, "\(rig.log.messages)")
        #expect(await rig.fixture.emulator.statistics().loadHistoryScanCalls == 0)
    }

    @Test func aFileWaitingPastTheThresholdIsWarnedOnceAndTheHealthIsStoredForStatus() async throws {
        // Snowflake never loads it: it waits from its submission to the 3-minute deadline.
        let rig = try ServiceRig(pollSeconds: 5, deadlineMinutes: 3, loadDelaySeconds: 86_400, warnAfterMinutes: 1)
        rig.start(health: true)
        let path = try await rig.drop("slow.csv", rows: 1)
        try await rig.run(until: "slow.csv ends at the deadline") { try await rig.state(of: path) == .notReported }
        await rig.stop()
        let warnings = rig.log.messages.filter { $0.contains("has waited") }
        #expect(warnings.count == 1, "once, not at every tick: \(warnings)")
        #expect(warnings.first?.contains("slow.csv has waited 6") == true)
        let summary = try #require(try await rig.outbox.summary().first)
        #expect(summary.lastSuccessAt != nil, "the last successful call is stored for status")
        #expect(summary.backoffUntil == nil)
    }

    @Test func aFileWithNoReportEndsNotReportedAtTheDeadline() async throws {
        // Snowflake never loads it: no report, no history.
        let rig = try ServiceRig(pollSeconds: 30, deadlineMinutes: 60, loadDelaySeconds: 1_000_000)
        rig.start()
        let path = try await rig.drop("lost.csv", rows: 1)
        try await rig.run(until: "NOT_REPORTED", limit: .seconds(4 * 3600)) {
            try await rig.state(of: path) == .notReported
        }
        await rig.stop()
        #expect(rig.elapsed >= .seconds(3600))
        #expect(rig.elapsed < .seconds(3600 + 120))
        #expect(rig.log.contains("have no load report after 60 min"))
        #expect(await rig.fixture.emulator.statistics().loadHistoryScanCalls >= 1)
    }

    @Test func a429WithRetryAfterHoldsTheWholePipeExactlyThatLong() async throws {
        let rig = try ServiceRig(lingerMilliseconds: 0)
        await rig.fixture.emulator.setFaults(
            FaultPlan(script: [.status(429, retryAfter: "120")]), for: .insertFiles)
        rig.start()
        let path = try await rig.drop("slow.csv", rows: 2)
        try await rig.run(until: "submitted after the 429") { try await rig.state(of: path) == .submitted }
        await rig.stop()
        #expect(rig.elapsed == .seconds(120))
        #expect(await rig.fixture.emulator.statistics().insertFilesCalls == 2)
        #expect(rig.log.contains("retrying the same batch in 120.0 s"))
    }
}

@Suite("The stream sender on the manual clock")
struct StreamSenderOnAManualClockTests {
    /// Records an NDJSON file of rows `ids` in the stage, as the watcher would.
    static func drop(_ rig: ServiceRig, _ name: String, _ ids: Range<Int>) async throws -> String {
        let text = ids.map { #"{"ID":\#($0),"PAYLOAD":{}}"# + "\n" }.joined()
        return try await rig.record(rig.fixture.stage.write(name, text), as: name, pipe: ServiceRig.streamPipe)
    }

    @Test func filesStreamAndEndAtTheirCommitAndAnIdleChannelSendsNothingForADay() async throws {
        let rig = try ServiceRig(streaming: true)
        rig.start()
        let a = try await Self.drop(rig, "a.json", 0..<5)
        let b = try await Self.drop(rig, "b.json", 5..<8)
        try await rig.run(until: "both files are LOADED") {
            let first = try await rig.state(of: a)
            let second = try await rig.state(of: b)
            return first == .loaded && second == .loaded
        }
        // The commit comes 1 s after the append, read on the next 1 s status poll: seconds, not real time.
        #expect(rig.elapsed <= .seconds(5))
        // Once both ended, nothing waits for a commit, and the gauges say so (set at each status read and append).
        let scrape = String(decoding: rig.context.metrics.exposition(), as: UTF8.self)
        func gauge(_ name: String) -> Double? {
            scrape.split(separator: "\n").first { $0.hasPrefix(name + #"{pipe="DB.S.JSON_PIPE"} "#) }
                .flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect(gauge("snowpiped_stream_commit_wait_seconds") == 0, "\(scrape)")
        #expect(gauge("snowpiped_stream_uncommitted_files") == 0, "\(scrape)")
        #expect(gauge("snowpiped_stream_rows_appended_total") == 8, "\(scrape)")
        #expect(try await rig.requests(during: .seconds(86_400)) == 0)
        await rig.stop()
        let ids = try await rig.fixture.emulator.rows(of: "DB.S.EVENTS").compactMap { $0[0].flatMap { Int($0) } }
        #expect(ids.sorted() == Array(0..<8))
    }

    @Test func aRefusedAppendReopensAfterItsBackoffWithNothingNewArriving() async throws {
        let rig = try ServiceRig(streaming: true)
        await rig.fixture.emulator.setFaults(
            FaultPlan(script: [.status(400, code: "ERR_CHANNEL_MUST_BE_REOPENED")]), for: .appendRows)
        rig.start()
        let a = try await Self.drop(rig, "a.json", 0..<3)
        try await rig.run(until: "a.json is LOADED after a reopen") { try await rig.state(of: a) == .loaded }
        await rig.stop()
        #expect(rig.log.contains("no file is ended for a channel's refusal"))
        #expect(rig.elapsed <= .seconds(10))
        let ids = try await rig.fixture.emulator.rows(of: "DB.S.EVENTS").compactMap { $0[0].flatMap { Int($0) } }
        #expect(ids.sorted() == [0, 1, 2])
    }
}

@Suite("After-load actions on the manual clock")
struct ActionsOnAManualClockTests {
    @Test func aLoadedFileIsDeletedAndAFailedOneQuarantinedWithItsSidecar() async throws {
        let quarantine = TemporaryDirectory("quarantine")
        let rig = try ServiceRig(
            ruleExtra: """
                    after_load: delete
                    after_failure: quarantine
                    quarantine_directory: \(quarantine.path)
                """)
        rig.start(actions: true)
        let good = try await rig.drop("good.csv", rows: 2)
        let bad = try await rig.record(
            rig.fixture.stage.write("bad.csv", "ID,NAME,AMOUNT\n1,a,lots\n"), as: "bad.csv")
        try await rig.run(until: "both files are acted on and their actions recorded") {
            let recorded = try await rig.outbox.pendingActions().isEmpty
            return recorded && FileManager.default.fileExists(atPath: good) == false
                && FileManager.default.fileExists(atPath: quarantine.path + "/bad.csv")
        }
        await rig.stop()
        #expect(try await rig.state(of: good) == .loaded)
        #expect(try await rig.state(of: bad) == .loadFailed)
        #expect(FileManager.default.fileExists(atPath: quarantine.path + "/bad.csv.error.json"))
        #expect(try await rig.outbox.pendingActions().isEmpty)
    }
}

@Suite("The pruner on the manual clock")
struct PrunerOnAManualClockTests {
    @Test func rowsBehindTwoFullPagesOfKeptFilesArePrunedWhenTheirFilesAreGone() async throws {
        let rig = try ServiceRig()
        let directory = TemporaryDirectory("prune")
        var discovered: [DiscoveredFile] = []
        var unreadable = 0
        for index in 0..<150 {
            let path = directory.create("f\(index).csv", "x")
            var info = stat()
            if lstat(path, &info) != 0 { unreadable += 1 }
            discovered.append(
                DiscoveredFile(
                    pipe: ServiceRig.pipe, localPath: path, stagePath: "f\(index).csv", size: Int64(info.st_size),
                    mtimeNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                    rejection: "finished for the test"))
        }
        #expect(unreadable == 0)
        let rows = try await rig.outbox.record(discovered, now: rig.clock.date)
        try await rig.outbox.actionDone(ids: rows.map(\.id))
        // Pages of 50 rows: the 50 newest files are deleted from disk; the 100 oldest (two full pages) stay where
        // they were (after_load: keep), so a pager that stopped at a page removing nothing would never reach them.
        for index in 100..<150 { try FileManager.default.removeItem(atPath: directory.path + "/f\(index).csv") }
        rig.clock.advance(by: .seconds(Int64(rig.configuration.retention.finishedDays * 86_400) + 60))
        let pruner = PrunerService(context: rig.context, clock: rig.clock, pageSize: 50)
        #expect(await pruner.pruneOnce() == 50)
        #expect(await pruner.pruneOnce() == 0)
        let left = try await rig.outbox.summary().first?.counts["REJECTED"]
        #expect(left == 100)
    }
}
