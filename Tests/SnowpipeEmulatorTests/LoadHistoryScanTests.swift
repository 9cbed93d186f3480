import Foundation
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("loadHistoryScan covers 14 days, 10,000 entries a call, rate limited")
struct LoadHistoryScanTests {
    let fixture = try! EmulatorFixture()
    var start: String { Timestamp.format(EmulatorFixture.start.addingTimeInterval(-60)) }

    @Test func aMissingOrInvalidStartTimeIs400() async {
        #expect(await fixture.loadHistoryScan(query: [:]).status == 400)
        #expect(await fixture.loadHistoryScan(query: ["startTimeInclusive": "yesterday"]).status == 400)
        #expect(
            await fixture.loadHistoryScan(query: ["startTimeInclusive": start, "endTimeExclusive": "x"]).status == 400)
    }

    @Test func entriesInTheRangeComeBackWithABooleanCompleteResultAndRangeTimes() async {
        fixture.stage.write("a.csv", "ID,NAME,AMOUNT\n1,a,1\n2,b,2\n")
        _ = await fixture.insertFiles(["a.csv", "gone.csv"])
        await fixture.emulator.advanceClock(by: 10)
        let response = await fixture.loadHistoryScan(query: ["startTimeInclusive": start])
        #expect(response.status == 200)
        let object = response.object
        #expect(object["completeResult"] as? Bool == true)
        #expect(object["startTimeInclusive"] as? String == start)
        #expect(object["endTimeExclusive"] is String)
        #expect(object["rangeStartTime"] is String)
        #expect(object["rangeEndTime"] is String)
        let byPath = Dictionary(uniqueKeysWithValues: response.files.map { ($0["path"] as! String, $0) })
        #expect(byPath["a.csv"]?["rowsInserted"] as? Int == 2)
        #expect(byPath["gone.csv"]?["status"] as? String == "LOAD_FAILED")
        #expect((byPath["gone.csv"]?["systemError"] as? String)?.contains("was not found") == true)
    }

    @Test func theEndTimeIsExclusive() async {
        fixture.stage.write("a.csv", "ID,NAME,AMOUNT\n1,a,1\n")
        _ = await fixture.insertFiles(["a.csv"])
        await fixture.emulator.advanceClock(by: 10)
        let loadedAt = await fixture.loadHistoryScan(query: ["startTimeInclusive": start]).files[0]["lastInsertTime"]
        let before = await fixture.loadHistoryScan(
            query: ["startTimeInclusive": start, "endTimeExclusive": loadedAt as! String])
        #expect(before.files.isEmpty)
        #expect(before.object["rangeStartTime"] is NSNull)
    }

    @Test func moreThan10000EntriesArePagedOnRangeEndTime() async throws {
        let fixture = try EmulatorFixture { $0.historyScanCallsPerMinute = 0 }
        let total = 10_050
        var paths: [String] = []
        for index in 0..<total { paths.append("p/\(index).csv") }
        for chunk in stride(from: 0, to: total, by: 5000) {
            _ = await fixture.insertFiles(Array(paths[chunk..<min(chunk + 5000, total)]))
        }
        await fixture.emulator.advanceClock(by: 10)
        var seen = Set<String>()
        var from = start
        var calls = 0
        while true {
            let page = await fixture.loadHistoryScan(query: ["startTimeInclusive": from])
            calls += 1
            #expect(page.files.count <= 10_000)
            for file in page.files { seen.insert(file["path"] as! String) }
            if page.object["completeResult"] as? Bool == true { break }
            from = page.object["rangeEndTime"] as! String
            if calls > 5 { break }
        }
        #expect(calls >= 2)
        #expect(seen.count == total)
    }

    @Test func aSmallPageSizePagesFewEntriesAndStillMakesProgress() async throws {
        let fixture = try EmulatorFixture {
            $0.historyScanCallsPerMinute = 0
            $0.historyPageSize = 3
        }
        let paths = (0..<12).map { "q/\($0).csv" }
        _ = await fixture.insertFiles(paths)
        await fixture.emulator.advanceClock(by: 10)  // 12 loads at one instant: stamped at most 2 per millisecond
        var seen = Set<String>()
        var from = start
        var calls = 0
        while calls < 20 {
            let page = await fixture.loadHistoryScan(query: ["startTimeInclusive": from])
            calls += 1
            #expect(page.files.count <= 3)
            for file in page.files { seen.insert(file["path"] as! String) }
            if page.object["completeResult"] as? Bool == true { break }
            from = page.object["rangeEndTime"] as! String
        }
        #expect(seen == Set(paths), "pages: \(calls)")
        #expect(calls >= 4)
    }

    @Test func historyOlderThan14DaysIsGone() async {
        _ = await fixture.insertFiles(["a.csv"])
        await fixture.emulator.advanceClock(by: 10)
        #expect(await fixture.loadHistoryScan(query: ["startTimeInclusive": start]).files.count == 1)
        await fixture.emulator.advanceClock(by: 14 * 86_400 + 60)
        #expect(await fixture.loadHistoryScan(query: ["startTimeInclusive": start]).files.isEmpty)
    }

    @Test func tooManyCallsAMinuteAre429UntilTheMinutePasses() async throws {
        let fixture = try EmulatorFixture { $0.historyScanCallsPerMinute = 2 }
        #expect(await fixture.loadHistoryScan(query: ["startTimeInclusive": start]).status == 200)
        #expect(await fixture.loadHistoryScan(query: ["startTimeInclusive": start]).status == 200)
        let limited = await fixture.loadHistoryScan(query: ["startTimeInclusive": start])
        #expect(limited.status == 429)
        #expect(limited.headers["Retry-After"] != nil)
        await fixture.emulator.advanceClock(by: 61)
        #expect(await fixture.loadHistoryScan(query: ["startTimeInclusive": start]).status == 200)
    }
}
