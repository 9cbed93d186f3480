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

    @Test func aRenamedInFileIsTakenAtOnceUnlessItIsAnEmptyPlaceholder() {
        var schedule = SettleSchedule()
        let full = schedule.observeMovedIn("/d/a", size: 10, mtimeNanoseconds: 1, isRegular: true, now: 100, quiet: 5)
        #expect(full)
        let empty = schedule.observeMovedIn("/d/b", size: 0, mtimeNanoseconds: 1, isRegular: true, now: 100, quiet: 5)
        #expect(empty == false)
        #expect(schedule.nextDeadline == 105)
        // A special file is judged (rejected) at once, even when its size is 0.
        let fifo = schedule.observeMovedIn("/d/c", size: 0, mtimeNanoseconds: 1, isRegular: false, now: 100, quiet: 5)
        #expect(fifo)
        // Renaming in a file that was waiting ends its wait.
        schedule.observe("/d/e", size: 3, mtimeNanoseconds: 1, now: 100, quiet: 5)
        let renamed = schedule.observeMovedIn("/d/e", size: 3, mtimeNanoseconds: 1, isRegular: true, now: 101, quiet: 5)
        #expect(renamed && schedule.contains("/d/e") == false)
    }

    @Test func aScannedFileIsTakenWhenQuietSinceItsModificationOrWaitsTheRest() {
        var schedule = SettleSchedule()
        let old = schedule.observeScanned(
            "/d/a", size: 1, mtimeNanoseconds: 90_000_000_000, unsubmittableName: false, now: 100, quiet: 5)
        #expect(old)
        let recent = schedule.observeScanned(
            "/d/b", size: 1, mtimeNanoseconds: 98_000_000_000, unsubmittableName: false, now: 100, quiet: 5)
        #expect(recent == false)
        #expect(schedule.nextDeadline == 103)
        let badName = schedule.observeScanned(
            "/d/c", size: 1, mtimeNanoseconds: 99_000_000_000, unsubmittableName: true, now: 100, quiet: 5)
        #expect(badName)
    }

    @Test func aForgottenFileIsNeverDue() {
        var schedule = SettleSchedule()
        schedule.observe("/d/a", size: 1, mtimeNanoseconds: 1, now: 100, quiet: 0)
        schedule.forget("/d/a")
        #expect(schedule.takeDue(now: 1000).isEmpty)
        #expect(schedule.nextDeadline == nil)
    }

    /// The heap against the obvious model (a dictionary walked in full), over random observes, restarts,
    /// forgets and takes: the same files come due at the same instants, and the next deadline is the same.
    @Test func theScheduleAgreesWithAFullWalkOverRandomOperations() {
        var schedule = SettleSchedule()
        var model: [String: Double] = [:]
        var random = SystemRandomNumberGenerator()
        var now = 0.0
        for _ in 0..<5000 {
            let path = "/d/f\(Int.random(in: 0..<200, using: &random))"
            switch Int.random(in: 0..<4, using: &random) {
            case 0, 1:
                let quiet = Double(Int.random(in: 0...5, using: &random))
                schedule.observe(path, size: 1, mtimeNanoseconds: 1, now: now, quiet: quiet)
                model[path] = now + quiet
            case 2:
                schedule.forget(path)
                model[path] = nil
            default:
                now += Double(Int.random(in: 0...2, using: &random))
                let taken = schedule.takeDue(now: now).map(\.path).sorted()
                let expected = model.filter { $0.value <= now }.keys.sorted()
                #expect(taken == expected)
                for key in expected { model[key] = nil }
            }
            #expect(schedule.nextDeadline == model.values.min())
            #expect(schedule.count == model.count)
        }
    }
}
