import IngestCore
import Testing

@Suite("A file is taken only after a quiet period, restarted by every change")
struct SettleScheduleTests {
    @Test func aFileIsDueAfterItsQuietPeriodAndSettledWhenUnchanged() {
        var schedule = SettleSchedule()
        schedule.observe("/d/a", size: 10, mtimeNanoseconds: 1, now: 100, quiet: 5)
        #expect(schedule.nextDeadline == 105)
        #expect(schedule.takeDue(now: 104.9).isEmpty)
        let due = schedule.takeDue(now: 105)
        #expect(due.map(\.path) == ["/d/a"])
        #expect(schedule.count == 0)
        let verdict = schedule.judge("/d/a", was: due[0].candidate, size: 10, mtimeNanoseconds: 1, now: 105, quiet: 5)
        #expect(verdict == .settled)
    }

    @Test func anotherCloseRestartsTheWait() {
        var schedule = SettleSchedule()
        schedule.observe("/d/a", size: 10, mtimeNanoseconds: 1, now: 100, quiet: 5)
        schedule.observe("/d/a", size: 20, mtimeNanoseconds: 2, now: 103, quiet: 5)
        #expect(schedule.takeDue(now: 105).isEmpty)
        #expect(schedule.nextDeadline == 108)
    }

    @Test func aFileThatChangedWhileWaitingWaitsAgain() {
        var schedule = SettleSchedule()
        schedule.observe("/d/a", size: 0, mtimeNanoseconds: 1, now: 100, quiet: 5)
        let due = schedule.takeDue(now: 105)
        let verdict = schedule.judge("/d/a", was: due[0].candidate, size: 7, mtimeNanoseconds: 2, now: 105, quiet: 5)
        #expect(verdict == .waitsAgain(until: 110))
        #expect(schedule.contains("/d/a"))
    }

    @Test func aForgottenFileIsNeverDue() {
        var schedule = SettleSchedule()
        schedule.observe("/d/a", size: 1, mtimeNanoseconds: 1, now: 100, quiet: 0)
        schedule.forget("/d/a")
        #expect(schedule.takeDue(now: 1000).isEmpty)
        #expect(schedule.nextDeadline == nil)
    }
}
