import IngestCore
import Testing

@Suite("Batch planning: full batches at once, a linger for the rest, never a tiny follow-up call")
struct BatchPlannerTests {
    @Test func nothingPendingIsIdle() {
        var planner = BatchPlanner(maxFiles: 10, linger: 0.1)
        #expect(planner.plan(pending: 0, now: 5) == .idle)
        #expect(planner.waitingSince == nil)
    }

    @Test func theFirstFilesWaitTheLingerFromWhenTheyWereSeen() {
        var planner = BatchPlanner(maxFiles: 10, linger: 0.1)
        #expect(planner.plan(pending: 1, now: 5) == .wait(until: 5.1))
        // More files arrive: the deadline stays that of the first.
        #expect(planner.plan(pending: 4, now: 5.05) == .wait(until: 5.1))
        #expect(planner.plan(pending: 4, now: 5.1) == .send)
    }

    @Test func aBatchThatFillsDuringTheLingerGoesAtOnce() {
        var planner = BatchPlanner(maxFiles: 10, linger: 30)
        #expect(planner.plan(pending: 3, now: 0) == .wait(until: 30))
        #expect(planner.plan(pending: 10, now: 1) == .send)
    }

    @Test func aFullBacklogGoesAtOnceAndItsRestFollowsWithoutLinger() {
        var planner = BatchPlanner(maxFiles: 10, linger: 1)
        #expect(planner.plan(pending: 25, now: 0) == .send)
        planner.sent(count: 10)
        #expect(planner.plan(pending: 15, now: 0.2) == .send)
        planner.sent(count: 10)
        // The last 5 were part of the backlog: they have waited already.
        #expect(planner.plan(pending: 5, now: 0.4) == .send)
        planner.sent(count: 5)
        #expect(planner.plan(pending: 0, now: 0.5) == .idle)
    }

    @Test func aTrickleIsOneCallPerLingerPeriodNotANormalOneAndATinyOne() {
        var planner = BatchPlanner(maxFiles: 100, linger: 1)
        var calls: [Double] = []
        var pending = 0
        // 20 files a second for 5 seconds, planned at each arrival; a call takes 0.1 s.
        var time = 0.0
        var busyUntil = -1.0
        while time < 5 {
            pending += 1
            if time >= busyUntil, planner.plan(pending: pending, now: time) == .send {
                calls.append(time)
                planner.sent(count: pending)
                pending = 0
                busyUntil = time + 0.1
            }
            time += 0.05
        }
        // Gaps between calls are never shorter than the linger (within the arrival step).
        let gaps = zip(calls.dropFirst(), calls).map { $0 - $1 }
        #expect(calls.count >= 4)
        #expect(gaps.allSatisfy { $0 >= 0.99 })
    }

    @Test func aFailedBatchIsResentWithoutAnotherLinger() {
        var planner = BatchPlanner(maxFiles: 10, linger: 5)
        #expect(planner.plan(pending: 2, now: 0) == .wait(until: 5))
        #expect(planner.plan(pending: 2, now: 5) == .send)
        planner.batchFormed()
        #expect(planner.plan(pending: 2, now: 6) == .send)
        planner.sent(count: 2)
        #expect(planner.plan(pending: 1, now: 7) == .wait(until: 12))
    }

    @Test func theHalvesOfASplitBatchGoAtOnce() {
        var planner = BatchPlanner(maxFiles: 10, linger: 5)
        _ = planner.plan(pending: 4, now: 0)
        planner.batchFormed()
        #expect(planner.plan(pending: 4, now: 5.5) == .send)
    }

    @Test func noLingerSendsWhateverIsPending() {
        var planner = BatchPlanner(maxFiles: 10, linger: 0)
        #expect(planner.plan(pending: 1, now: 0) == .send)
    }
}
