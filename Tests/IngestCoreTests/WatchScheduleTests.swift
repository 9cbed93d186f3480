import IngestCore
import Testing

@Suite("The watcher's timetable: lost roots, periodic scans, the degraded mode")
struct WatchScheduleTests {
    @Test func aPeriodicScanIsDueEveryIntervalAndNeverWhenOff() {
        var schedule = WatchSchedule(periodicScan: 300, now: 0)
        let r1 = schedule.due(now: 299)
        #expect(r1 == WatchSchedule.Due())
        let r2 = schedule.due(now: 300)
        #expect(r2 == WatchSchedule.Due(fullScan: true))
        let r3 = schedule.due(now: 301)
        #expect(r3 == WatchSchedule.Due())
        #expect(schedule.nextDeadline(settling: nil, heartbeat: 10_000) == 600)
        var off = WatchSchedule(periodicScan: 0, now: 0)
        let r4 = off.due(now: 1_000_000)
        #expect(r4 == WatchSchedule.Due())
        #expect(off.nextDeadline(settling: nil, heartbeat: 10) == 10)
    }

    @Test func aLostRootIsAnnouncedOnceAndLookedForEveryTwoSecondsUntilBack() {
        var schedule = WatchSchedule(periodicScan: 0, now: 0)
        let r5 = schedule.rootLost(1)
        #expect(r5)
        let r6 = schedule.rootLost(1)
        #expect(r6 == false)
        #expect(schedule.nextDeadline(settling: nil, heartbeat: 10) == 2)
        let r7 = schedule.due(now: 1.9)
        #expect(r7 == WatchSchedule.Due())
        let r8 = schedule.due(now: 2)
        #expect(r8 == WatchSchedule.Due(lookForLostRoots: true))
        let r9 = schedule.due(now: 3)
        #expect(r9 == WatchSchedule.Due())
        let r10 = schedule.due(now: 4)
        #expect(r10 == WatchSchedule.Due(lookForLostRoots: true))
        schedule.rootRearmed(1)
        #expect(schedule.lost.isEmpty)
        let r11 = schedule.due(now: 100)
        #expect(r11 == WatchSchedule.Due())
    }

    @Test func theWatchLimitTurnsOnAScanEveryThirtySecondsAnnouncedOnce() {
        var schedule = WatchSchedule(periodicScan: 0, now: 0)
        let r12 = schedule.watchLimitReached(now: 5)
        #expect(r12)
        let r13 = schedule.watchLimitReached(now: 6)
        #expect(r13 == false)
        #expect(schedule.nextDeadline(settling: nil, heartbeat: 100) == 35)
        let r14 = schedule.due(now: 35)
        #expect(r14 == WatchSchedule.Due(fullScan: true))
        #expect(schedule.nextDeadline(settling: nil, heartbeat: 100) == 65)
        // With a long periodic interval configured, the degraded scan still comes every 30 s.
        var long = WatchSchedule(periodicScan: 3600, now: 0)
        _ = long.watchLimitReached(now: 0)
        let r15 = long.due(now: 30)
        #expect(r15 == WatchSchedule.Due(fullScan: true))
        #expect(long.nextDeadline(settling: nil, heartbeat: 1000) == 60)
    }

    @Test func theEarliestOfSettlingScansRootsAndTheHeartbeatWakesTheWatcher() {
        var schedule = WatchSchedule(periodicScan: 300, now: 0)
        _ = schedule.rootLost(0)
        #expect(schedule.nextDeadline(settling: 1.5, heartbeat: 10) == 1.5)
        #expect(schedule.nextDeadline(settling: nil, heartbeat: 10) == 2)
        #expect(schedule.nextDeadline(settling: nil, heartbeat: 1) == 1)
    }
}
