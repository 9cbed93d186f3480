import Foundation
import IngestCore
import Outbox
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("The watched directory may be missing, deleted or replaced", .serialized)
struct WatchedDirectoryTests {
    @Test func aDirectoryMissingAtStartupIsWatchedOnceItAppears() async throws {
        try await DaemonHarness.withDaemon(
            .init(prepare: { harness in
                try FileManager.default.removeItem(atPath: harness.drop)
            })
        ) { harness in
            try await DaemonHarness.waitUntil("the daemon is ready") { harness.log.contains("ready") }
            #expect(harness.log.contains("does not exist; waiting for it to appear"))
            try FileManager.default.createDirectory(atPath: harness.drop, withIntermediateDirectories: true)
            try await DaemonHarness.waitUntil("the directory is watched") {
                harness.log.contains("watching \(harness.drop) again")
            }
            harness.dropCSV("late.csv", firstID: 1, rows: 2)
            try await DaemonHarness.waitUntil("late.csv is LOADED") { try await states(harness)["LOADED"] == 1 }
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aDeletedAndRecreatedDirectoryIsWatchedAgain() async throws {
        try await DaemonHarness.withDaemon { harness in
            harness.dropCSV("first.csv", firstID: 1, rows: 1)
            try await DaemonHarness.waitUntil("first.csv is LOADED") { try await states(harness)["LOADED"] == 1 }
            // Replace the directory: the old watch dies with it.
            let replacement = harness.root.path + "/replacement"
            try FileManager.default.createDirectory(atPath: replacement, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(
                atPath: replacement + "/inside-before.csv", contents: Data("ID,NAME,AMOUNT\n5,x,1\n".utf8))
            try FileManager.default.removeItem(atPath: harness.drop)
            rename(replacement, harness.drop)
            try await DaemonHarness.waitUntil("the file that came with the new directory is LOADED") {
                try await states(harness)["LOADED"] == 2
            }
            harness.dropCSV("after.csv", firstID: 9, rows: 1)
            try await DaemonHarness.waitUntil("after.csv is LOADED") { try await states(harness)["LOADED"] == 3 }
            #expect(await harness.stop() == 0)
        }
    }
}

@Suite("Refused batches and manual retries", .serialized)
struct RefusalAndRetryTests {
    @Test func a400ForOneFileWhileItsNeighbourIsAcceptedRejectsOnlyThatFile() async throws {
        try await DaemonHarness.withDaemon(
            .init(prepare: { harness in
                // The batch of two is refused and split; the half sent first is accepted (evidence that the pipe
                // takes files), the other refused: only that file ends REJECTED.
                await harness.fixture.emulator.setFaults(
                    FaultPlan(script: [.status(400), .none, .status(400)]), for: .insertFiles)
                harness.dropCSV("a.csv", firstID: 1, rows: 1)
                harness.dropCSV("b.csv", firstID: 2, rows: 1)
            })
        ) { harness in
            try await DaemonHarness.waitUntil("one file LOADED, the other REJECTED") {
                let counts = try await states(harness)
                return counts["LOADED"] == 1 && counts["REJECTED"] == 1
            }
            #expect(harness.log.contains("splitting it to find the offending file(s)"))
            try await harness.waitForLog(".csv for DB.S.CSV_PIPE: Snowpipe refused it: HTTP 400")
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aStoppedPipeRefusingEveryCallRejectsNoFileSaysSoAndLoadsAllOnceResumed() async throws {
        try await DaemonHarness.withDaemon(
            .init(prepare: { harness in
                await harness.fixture.emulator.setExecutionState(.stoppedCloned, pipe: "DB.S.CSV_PIPE")
                for index in 0..<12 { harness.dropCSV("f\(index).csv", firstID: index, rows: 1) }
            })
        ) { harness in
            try await harness.waitForLog("is taken as the pipe's")
            try await harness.waitForLog("STOPPED_CLONED")
            let status = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["status", "--config", harness.configPath])
            #expect(status.stdout.contains("submissions paused"), "\(status.output)")
            #expect(status.stdout.contains("STOPPED_CLONED"), "\(status.output)")
            for index in 12..<20 { harness.dropCSV("f\(index).csv", firstID: index, rows: 1) }
            let calls = await harness.fixture.emulator.statistics().insertFilesCalls
            await harness.fixture.emulator.setExecutionState(.running, pipe: "DB.S.CSV_PIPE")
            try await DaemonHarness.waitUntil("all 20 files are LOADED", timeout: .seconds(120)) {
                try await states(harness)["LOADED"] == 20
            }
            #expect(try await states(harness)["REJECTED"] == nil)
            // A refused pipe is probed on its backoff, not split into a call per file.
            #expect(calls < 12, "\(calls) insertFiles calls while the pipe was stopped")
            #expect(await harness.fixture.emulator.receivedPaths(pipe: "DB.S.CSV_PIPE").count == 20)
            try await harness.waitForLog("submissions to this pipe resume")
            let after = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["status", "--config", harness.configPath])
            #expect(after.stdout.contains("submissions paused") == false, "\(after.output)")
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aLowerCaseUnquotedPipeNameReachesThePipeSnowflakeStoredInUpperCase() async throws {
        // The emulator's pipe paths are case-sensitive, as the API page says: `db.s.csv_pipe` must be sent as
        // `DB.S.CSV_PIPE`, the name an unquoted CREATE PIPE stores.
        try await DaemonHarness.withDaemon(pipe: "db.s.csv_pipe") { harness in
            harness.dropCSV("a.csv", firstID: 1, rows: 1)
            try await DaemonHarness.waitUntil("a.csv is LOADED") { try await states(harness)["LOADED"] == 1 }
            try await harness.waitForLog("LOADED a.csv into DB.S.CSV_PIPE")
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aPathOutsideThePipesPatternEndsSkippedAtOnceWithTheReason() async throws {
        try await DaemonHarness.withDaemon(pipe: "DB.S.PATTERN_PIPE") { harness in
            harness.dropCSV("a.csv", firstID: 1, rows: 1)
            harness.dropCSV("b.txt", firstID: 2, rows: 1)
            try await DaemonHarness.waitUntil("a.csv LOADED, b.txt SKIPPED", timeout: .seconds(30)) {
                let counts = try await states(harness)
                return counts["LOADED"] == 1 && counts["SKIPPED"] == 1
            }
            try await harness.waitForLog("does not match the pipe's PATTERN")
            #expect(await harness.stop() == 0)
        }
    }

    @Test func retryRequeuesAFailedFileAndWarnsAboutThe14DayRule() async throws {
        try await DaemonHarness.withDaemon { harness in
            _ = FileManager.default.createFile(
                atPath: harness.drop + "/fix-me.csv", contents: Data("ID,NAME,AMOUNT\n1,a,bad\n".utf8))
            try await DaemonHarness.waitUntil("fix-me.csv failed") { try await states(harness)["LOAD_FAILED"] == 1 }
            #expect(await harness.stop() == 0)
            let retry = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["retry", "--config", harness.configPath])
            #expect(retry.status == 0, "\(retry.output)")
            #expect(retry.stdout.contains("re-queued 1 file(s)"))
            #expect(retry.stdout.contains("will skip the same path until 14 days after that"))
            try await harness.startAndWaitUntilReady()
            try await DaemonHarness.waitUntil("the retried file ends SKIPPED (Snowpipe's 14-day rule)") {
                try await states(harness)["SKIPPED"] == 1
            }
            try await harness.waitForLog("SKIPPED fix-me.csv")
            #expect(await harness.stop() == 0)
        }
    }
}
