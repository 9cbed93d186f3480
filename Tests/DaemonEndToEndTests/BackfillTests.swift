import Foundation
import IngestCore
import Outbox
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("Backfill registers exactly the files a pipe has not seen", .serialized)
struct BackfillTests {
    @Test func aBackfillOfADirectoryHalfLoadedBeforeSubmitsExactlyTheOtherHalf() async throws {
        try await DaemonHarness.withDaemon { harness in
            for index in 0..<10 { harness.dropCSV("f\(index).csv", firstID: index * 10, rows: 2, renameIn: true) }
            try await DaemonHarness.waitUntil("the files are LOADED through CSV_PIPE") {
                try await states(harness)["LOADED"] == 10
            }
            #expect(await harness.stop() == 0)
            // Another tool loaded half of them through CONT_PIPE: they are in that pipe's load history.
            let half = (0..<5).map { "f\($0).csv" }
            #expect(await harness.fixture.insertFiles(half, pipe: "DB.S.CONT_PIPE").status == 200)
            try await DaemonHarness.waitUntil("CONT_PIPE's history lists them") {
                let page = await harness.fixture.loadHistoryScan(
                    pipe: "DB.S.CONT_PIPE", query: ["startTimeInclusive": "2000-01-01T00:00:00.000Z"])
                return (page.object["files"] as? [Any])?.count == 5
            }
            // The rule now names CONT_PIPE: the daemon holds every file (they are CSV_PIPE's), sends none.
            try harness.configure(port: harness.port, pipe: "db.s.cont_pipe")
            let snowpiped = ChildProcess.product("snowpiped")
            let dry = try await ChildProcess.run(
                snowpiped, ["backfill", "--config", harness.configPath, "--pipe", "db.s.cont_pipe", "--dry-run"])
            #expect(dry.status == 0, "\(dry.output)")
            #expect(dry.output.contains("would register 5 file(s)"), "\(dry.output)")
            #expect(dry.output.contains("5 in the pipe's load history"), "\(dry.output)")
            #expect(dry.output.contains("would register: f5.csv"))
            #expect(dry.output.contains("would register: f0.csv") == false)
            let run = try await ChildProcess.run(
                snowpiped, ["backfill", "--config", harness.configPath, "--pipe", "DB.S.CONT_PIPE", harness.drop])
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("registered 5 file(s)"), "\(run.output)")
            // Twice is harmless: the outbox has them now.
            let again = try await ChildProcess.run(
                snowpiped, ["backfill", "--config", harness.configPath, "--pipe", "DB.S.CONT_PIPE"])
            #expect(again.output.contains("registered 0 file(s)"), "\(again.output)")
            #expect(again.output.contains("5 already in the outbox for this pipe"), "\(again.output)")
            #expect(again.output.contains("5 in the pipe's load history"), "\(again.output)")
            try await harness.startAndWaitUntilReady()
            try await DaemonHarness.waitUntil("the other half is LOADED through CONT_PIPE") {
                let outbox = try Outbox(path: harness.stateDirectory + "/outbox.sqlite", readOnly: true)
                let cont = try await outbox.summary().first { $0.pipe == "DB.S.CONT_PIPE" }
                return cont?.counts["LOADED"] == 5
            }
            let received = await harness.fixture.emulator.receivedPaths(pipe: "DB.S.CONT_PIPE")
            #expect(received == Dictionary(uniqueKeysWithValues: (0..<10).map { ("f\($0).csv", 1) }))
            #expect(await harness.fixture.emulator.receivedPaths(pipe: "DB.S.CSV_PIPE").values.allSatisfy { $0 == 1 })
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aDirectoryNoRuleOfThePipeCoversIsRefusedNamingTheRules() async throws {
        let harness = try DaemonHarness()
        try harness.configure(port: 9)
        let run = try await ChildProcess.run(
            ChildProcess.product("snowpiped"),
            ["backfill", "--config", harness.configPath, "--pipe", "DB.S.CSV_PIPE", "/tmp"])
        #expect(run.status != 0)
        #expect(run.output.contains("/tmp is not under a watch rule of pipe DB.S.CSV_PIPE"), "\(run.output)")
        let bad = try await ChildProcess.run(
            ChildProcess.product("snowpiped"),
            ["backfill", "--config", harness.configPath, "--pipe", "DB.S.CSV_PIPE", "--since", "yesterday"])
        #expect(bad.status != 0)
        #expect(bad.output.contains("--since yesterday: give an ISO 8601 date"), "\(bad.output)")
        let early = try await ChildProcess.run(
            ChildProcess.product("snowpiped"), ["backfill", "--config", harness.configPath, "--pipe", "DB.S.CSV_PIPE"])
        #expect(early.status != 0)
        #expect(early.output.contains("there is no outbox at"), "\(early.output)")
    }
}
