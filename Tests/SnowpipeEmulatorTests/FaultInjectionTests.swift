import Foundation
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("Faults can be scripted or drawn at random per endpoint")
struct FaultInjectionTests {
    let fixture = try! EmulatorFixture()

    @Test func aScriptIsPlayedInOrderThenRequestsPass() async {
        await fixture.emulator.setFaults(
            FaultPlan(script: [.status(429, retryAfter: "3"), .status(429), .status(503), .none]), for: .insertFiles)
        let first = await fixture.insertFiles(["a.csv"])
        #expect(first.status == 429)
        #expect(first.headers["Retry-After"] == "3")
        let second = await fixture.insertFiles(["a.csv"])
        #expect(second.status == 429)
        #expect(second.headers["Retry-After"] == nil)
        #expect(await fixture.insertFiles(["a.csv"]).status == 503)
        #expect(await fixture.insertFiles(["a.csv"]).status == 200)
        #expect(await fixture.insertFiles(["b.csv"]).status == 200)
        #expect(await fixture.emulator.queuedLoads == 2)
        #expect(await fixture.emulator.statistics().faultsInjected == 3)
    }

    @Test func aFaultBeforeProcessingLeavesNoTrace() async {
        await fixture.emulator.setFaults(FaultPlan(script: [.status(500)]), for: .insertFiles)
        #expect(await fixture.insertFiles(["a.csv"]).status == 500)
        #expect(await fixture.emulator.receivedPaths(pipe: "DB.S.CSV_PIPE").isEmpty)
    }

    @Test func aTruncatedAnswerIsHalfTheRealOneAndTheRequestTookEffect() async {
        await fixture.emulator.setFaults(FaultPlan(script: [Fault(truncatedBody: true)]), for: .insertFiles)
        let cut = await fixture.insertFiles(["a.csv"])
        #expect(cut.status == 200)
        #expect(cut.body.isEmpty == false)
        #expect((try? JSONSerialization.jsonObject(with: Data(cut.body))) == nil, "not parseable")
        #expect(await fixture.emulator.queuedLoads == 1)
    }

    @Test func aDropAfterProcessingLosesOnlyTheAnswer() async {
        await fixture.emulator.setFaults(
            FaultPlan(script: [Fault(drop: true, afterProcessing: true)]), for: .insertFiles)
        let lost = await fixture.insertFiles(["a.csv"])
        #expect(lost.dropConnection)
        #expect(await fixture.emulator.queuedLoads == 1)
        let retry = await fixture.insertFiles(["a.csv"], showSkipped: true)
        #expect(retry.object["skippedFiles"] as? [String] == ["a.csv"])
    }

    @Test func malformedAndSlowAnswersAreProduced() async {
        await fixture.emulator.setFaults(
            FaultPlan(script: [.malformed, Fault(delayMs: 250)]), for: .insertReport)
        let malformed = await fixture.insertReport()
        #expect(malformed.status == 200)
        #expect(malformed.object.isEmpty)
        let slow = await fixture.insertReport()
        #expect(slow.delay == .milliseconds(250))
        #expect(slow.object["nextBeginMark"] != nil)
    }

    @Test func randomFaultsFollowTheProbabilityAndAreRepeatableWithASeed() async throws {
        func run() async throws -> [Int] {
            let fixture = try EmulatorFixture()
            await fixture.emulator.setFaults(
                FaultPlan(probability: 0.3, randomFaults: [.status(500), .status(429)], seed: 7), for: .insertReport)
            var statuses: [Int] = []
            for _ in 0..<200 { statuses.append(await fixture.insertReport().status) }
            return statuses
        }
        let first = try await run()
        let failures = first.filter { $0 != 200 }.count
        #expect((30...90).contains(failures))
        #expect(Set(first) == [200, 429, 500])
        #expect(try await run() == first)
    }

    @Test func faultsAreSetThroughTheAdminAPI() async {
        let body = #"{"endpoint":"loadHistoryScan","script":[{"status":503,"retryAfter":"1"}]}"#
        let set = await fixture.emulator.handle(
            EmulatorRequest(method: "POST", path: "/admin/faults", body: Array(body.utf8)))
        #expect(set.status == 200)
        let start = Timestamp.format(EmulatorFixture.start)
        #expect(await fixture.loadHistoryScan(query: ["startTimeInclusive": start]).status == 503)
        #expect(await fixture.loadHistoryScan(query: ["startTimeInclusive": start]).status == 200)
    }
}
