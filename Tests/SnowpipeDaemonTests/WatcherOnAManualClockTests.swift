import FileWatching
import Foundation
import IngestCore
import Outbox
import SnowpipeEmulator
import TestSupport
import Testing

@testable import SnowpipeDaemon

/// The watcher service on the rig: its events come from a scripted source, its scans read the real stage
/// directory, and its settle periods, periodic scans and root retries take virtual time.
@Suite("The watcher on a manual clock: settle periods, rescans and lost roots in virtual time", .serialized)
struct WatcherOnAManualClockTests {
    /// Starts a rig with the watcher; returns once the watcher armed the root (READY).
    private func watchedRig(settings: String = "") async throws -> (ServiceRig, ScriptedWatchEvents) {
        let rig = try ServiceRig(ruleExtra: "    settle_seconds: 5\n", settings: settings)
        let events = ScriptedWatchEvents()
        rig.start(watcher: events)
        try await rig.run(until: "the root is armed") { events.armedRoots == [0] }
        return (rig, events)
    }

    /// When `path` was first recorded, in virtual time since the start (nil: not recorded yet).
    private func recordedAt(_ rig: ServiceRig, _ path: String) async throws -> Double? {
        try await rig.outbox.history(path: path).first.map { $0.discoveredAt.timeIntervalSince(EmulatorFixture.start) }
    }

    @Test func aMovedInFileIsTakenAtOnceAndAClosedOneAfterItsQuietPeriodRestartedByEachClose() async throws {
        let (rig, events) = try await watchedRig()
        let moved = rig.fixture.stage.write("moved.csv", "ID,NAME,AMOUNT\n1,a,1.5\n")
        let start = rig.elapsed.seconds
        events.emit([.fileMovedIn(moved)])
        try await rig.run(until: "moved.csv is recorded") { try await recordedAt(rig, moved) != nil }
        #expect(try await recordedAt(rig, moved)! - start < 1, "a renamed-in file is complete: no quiet period")

        let closed = rig.fixture.stage.write("closed.csv", "ID,NAME,AMOUNT\n2,b,2.5\n")
        let closedAt = rig.elapsed.seconds
        events.emit([.fileClosed(closed)])
        try await rig.advance(by: .seconds(3))
        #expect(try await recordedAt(rig, closed) == nil, "3 s into a 5 s quiet period")
        // The writer appends and closes again: the wait starts over, and the complete version is taken.
        let handle = try #require(FileHandle(forWritingAtPath: closed))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("3,c,3.5\n".utf8))
        try handle.close()
        events.emit([.fileClosed(closed)])
        try await rig.run(until: "closed.csv is recorded") { try await recordedAt(rig, closed) != nil }
        let waited = try await recordedAt(rig, closed)! - closedAt
        #expect(waited >= 8 && waited < 9, "quiet for 5 s after the second close (3 + 5), waited \(waited) s")
        try await rig.run(until: "both are LOADED") {
            let movedState = try await rig.state(of: moved)
            let closedState = try await rig.state(of: closed)
            return movedState == .loaded && closedState == .loaded
        }
        #expect(try await rig.fixture.emulator.rows(of: "DB.S.T").count == 3)
        await rig.stop()
    }

    @Test func anOverflowRescansAndFindsTheFilesWhoseEventsWereLost() async throws {
        let (rig, events) = try await watchedRig()
        let lost = (1...3).map { rig.fixture.stage.write("lost-\($0).csv", "ID,NAME,AMOUNT\n\($0),x,1.5\n") }
        try await rig.advance(by: .seconds(120))
        #expect(try await recordedAt(rig, lost[0]) == nil, "no event and no periodic scan: not known yet")
        events.emit([.overflow])
        try await rig.run(until: "the lost files are recorded") {
            for path in lost where try await recordedAt(rig, path) == nil { return false }
            return true
        }
        #expect(rig.log.contains("inotify queue overflowed"))
        await rig.stop()
    }

    @Test func thePeriodicScanFindsAFileNoEventAnnouncedAtItsInterval() async throws {
        let (rig, _) = try await watchedRig(settings: "scan:\n  periodic_seconds: 600\n")
        let quiet = rig.fixture.stage.write("unannounced.csv", "ID,NAME,AMOUNT\n1,a,1.5\n")
        try await rig.run(until: "the periodic scan records it") { try await recordedAt(rig, quiet) != nil }
        let at = try await recordedAt(rig, quiet)!
        #expect(at >= 600 && at < 601, "found by the scan 600 s after the start, at \(at) s")
        await rig.stop()
    }

    @Test func aLostRootIsLookedForEveryTwoSecondsAndWatchedAndScannedWhenBack() async throws {
        let (rig, events) = try await watchedRig()
        events.emit([.rootLost(rig.fixture.stage.path)])
        try await rig.run(until: "the root is armed again") { events.armedRoots == [0, 0] }
        #expect(rig.log.contains("was deleted, moved or unmounted"))
        #expect(rig.log.contains("watching \(rig.fixture.stage.path) again"))
        #expect(rig.elapsed.seconds < 3, "looked for after at most one 2 s retry")
        await rig.stop()
    }
}
