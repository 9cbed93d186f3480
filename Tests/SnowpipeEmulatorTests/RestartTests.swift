import Foundation
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("A restarted emulator remembers what Snowflake remembers")
struct RestartTests {
    let database = TemporaryDirectory("emulator-db")

    func makeFixture() throws -> EmulatorFixture {
        let path = database.path + "/emulator.sqlite"
        return try EmulatorFixture { $0.databasePath = path }
    }

    @Test func loadMetadataReportsHistoryAndQueuedLoadsSurviveARestart() async throws {
        let fixture = try makeFixture()
        fixture.stage.write("a.csv", "ID,NAME,AMOUNT\n1,a,2.5\n")
        fixture.stage.write("b.csv", "ID,NAME,AMOUNT\n2,b,3.5\n")
        _ = await fixture.insertFiles(["a.csv"])
        await fixture.emulator.advanceClock(by: 10)
        let first = await fixture.insertReport()
        let mark = try #require(first.object["nextBeginMark"] as? String)
        #expect(first.files.count == 1)
        // Accepted, not loaded yet when the emulator stops.
        _ = await fixture.insertFiles(["b.csv"], requestID: "req-2")

        let restarted = try fixture.restarted()
        // The load metadata: a.csv (loaded) and b.csv (accepted) are both skipped now.
        let again = await restarted.insertFiles(["a.csv", "b.csv"], requestID: "req-3", showSkipped: true)
        #expect(again.object["skippedFiles"] as? [String] == ["a.csv", "b.csv"])
        // The queued load runs after the restart, and the old begin mark still tails from where it was.
        await restarted.emulator.advanceClock(by: 10)
        let tail = await restarted.insertReport(query: ["beginMark": mark])
        #expect(tail.files.map { $0["path"] as? String } == ["b.csv"])
        #expect(tail.object["completeResult"] as? Bool == true)
        // The history still has both loads.
        let start = try #require(first.files.first?["lastInsertTime"] as? String)
        let history = await restarted.loadHistoryScan(query: ["startTimeInclusive": start])
        #expect(Set(history.files.compactMap { $0["path"] as? String }) == ["a.csv", "b.csv"])
        // Rows: each file once.
        let rows = try await restarted.emulator.rows(of: "DB.S.T")
        #expect(rows.compactMap { $0[0] }.sorted() == ["1", "2"])
    }

    @Test func anInMemoryEmulatorStartsEmpty() async throws {
        let fixture = try EmulatorFixture()
        fixture.stage.write("a.csv", "ID,NAME,AMOUNT\n1,a,2.5\n")
        _ = await fixture.insertFiles(["a.csv"])
        let restarted = try fixture.restarted()
        let again = await restarted.insertFiles(["a.csv"], showSkipped: true)
        #expect(again.object["skippedFiles"] as? [String] == [])
    }
}
