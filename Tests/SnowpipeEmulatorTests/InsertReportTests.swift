import Foundation
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("insertReport keeps 10 minutes / 10,000 events and tails with beginMark")
struct InsertReportTests {
    let fixture = try! EmulatorFixture()

    func stageFiles(_ names: [String]) {
        for name in names { fixture.stage.write(name, "ID,NAME,AMOUNT\n1,\(name),2.5\n") }
    }

    @Test func filesAppearOnlyAfterTheLoadDelay() async {
        stageFiles(["a.csv"])
        _ = await fixture.insertFiles(["a.csv"])
        await fixture.emulator.advanceClock(by: 5)
        #expect(await fixture.insertReport().files.isEmpty)
        await fixture.emulator.advanceClock(by: 5)
        let files = await fixture.insertReport().files
        #expect(files.count == 1)
        #expect(files.first?["status"] as? String == "LOADED")
        #expect(files.first?["rowsInserted"] as? Int == 1)
        #expect(files.first?["complete"] as? Bool == true)
        #expect(files.first?["stageLocation"] as? String == "s3://bucket/")
        #expect((files.first?["lastInsertTime"] as? String)?.hasSuffix("Z") == true)
    }

    @Test func nextBeginMarkIsAlwaysPresentAndCompleteResultIsABoolean() async {
        let object = await fixture.insertReport().object
        #expect(object["nextBeginMark"] is String)
        #expect(object["completeResult"] as? Bool == true)
        #expect(object["pipe"] as? String == "DB.S.CSV_PIPE")
    }

    @Test func tailingWithBeginMarkReturnsOnlyNewEvents() async {
        stageFiles(["a.csv", "b.csv"])
        _ = await fixture.insertFiles(["a.csv"])
        await fixture.emulator.advanceClock(by: 10)
        let first = await fixture.insertReport()
        #expect(first.files.map { $0["path"] as? String } == ["a.csv"])
        let mark = first.object["nextBeginMark"] as! String
        #expect(await fixture.insertReport(query: ["beginMark": mark]).files.isEmpty)
        _ = await fixture.insertFiles(["b.csv"])
        await fixture.emulator.advanceClock(by: 10)
        let second = await fixture.insertReport(query: ["beginMark": mark])
        #expect(second.files.map { $0["path"] as? String } == ["b.csv"])
        #expect(second.object["completeResult"] as? Bool == true)
    }

    @Test func eventsOlderThanTenMinutesAreGoneAndAnOldMarkIsIncomplete() async {
        stageFiles(["a.csv"])
        let mark = await fixture.insertReport().object["nextBeginMark"] as! String
        _ = await fixture.insertFiles(["a.csv"])
        await fixture.emulator.advanceClock(by: 10)
        #expect(await fixture.insertReport().files.count == 1)
        await fixture.emulator.advanceClock(by: 601)
        let late = await fixture.insertReport(query: ["beginMark": mark])
        #expect(late.files.isEmpty)
        #expect(late.object["completeResult"] as? Bool == false)
        #expect(await fixture.insertReport().files.isEmpty)
    }

    @Test func onlyTheMostRecentEventsAreKeptUpToTheCapacity() async throws {
        let fixture = try EmulatorFixture { $0.reportCapacity = 3 }
        let mark = await fixture.insertReport().object["nextBeginMark"] as! String
        let names = (0..<5).map { "f\($0).csv" }
        for name in names { fixture.stage.write(name, "ID,NAME,AMOUNT\n1,x,1\n") }
        _ = await fixture.insertFiles(names)
        await fixture.emulator.advanceClock(by: 10)
        let report = await fixture.insertReport(query: ["beginMark": mark])
        #expect(report.files.count == 3)
        #expect(report.object["completeResult"] as? Bool == false)
        #expect(report.files.map { $0["path"] as? String } == ["f2.csv", "f3.csv", "f4.csv"])
    }

    @Test func recentSecondsLimitsTheWindow() async {
        stageFiles(["a.csv", "b.csv"])
        _ = await fixture.insertFiles(["a.csv"])
        await fixture.emulator.advanceClock(by: 10)
        await fixture.emulator.advanceClock(by: 120)
        _ = await fixture.insertFiles(["b.csv"])
        await fixture.emulator.advanceClock(by: 10)
        let recent = await fixture.insertReport(query: ["recentSeconds": "60"])
        #expect(recent.files.map { $0["path"] as? String } == ["b.csv"])
    }

    @Test func aMalformedBeginMarkIs400() async {
        #expect(await fixture.insertReport(query: ["beginMark": "garbage"]).status == 400)
    }

    @Test func aMarkFromAnotherEmulatorInstanceRestartsAndSaysIncomplete() async {
        let report = await fixture.insertReport(query: ["beginMark": "999999999_5"])
        #expect(report.status == 200)
        #expect(report.object["completeResult"] as? Bool == false)
    }
}
