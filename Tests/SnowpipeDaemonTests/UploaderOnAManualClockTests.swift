import FileWatching
import Foundation
import IngestCore
import Outbox
import SnowpipeEmulator
import TestSupport
import Testing

@testable import SnowpipeDaemon

/// The uploader on the rig: the watcher (scripted events) finds files, the uploader puts them into an internal
/// stage kept in `MemoryS3` (which the emulator mints credentials from and loads out of), the batcher and reporter
/// take them to LOADED, all on the manual clock.
@Suite("The uploader on a manual clock: stage failures back off in virtual time and nothing loads twice", .serialized)
struct UploaderOnAManualClockTests {
    private func uploadRig() async throws -> (ServiceRig, ScriptedWatchEvents, MemoryS3) {
        let s3 = MemoryS3()
        let rig = try ServiceRig(upload: s3)
        let events = ScriptedWatchEvents()
        rig.start(watcher: events)
        try await rig.run(until: "the root is armed") { events.armedRoots == [0] }
        return (rig, events, s3)
    }

    private func drop(_ rig: ServiceRig, _ events: ScriptedWatchEvents, _ names: [String]) -> [String] {
        let paths = names.enumerated().map { index, name in
            rig.fixture.stage.write(name, "ID,NAME,AMOUNT\n\(index),\(name),1.5\n")
        }
        events.emit(paths.map { .fileMovedIn($0) })
        return paths
    }

    @Test func filesAreUploadedEncryptedVerifiedAndLoadedOnce() async throws {
        let (rig, events, s3) = try await uploadRig()
        let paths = drop(rig, events, ["a.csv", "b.csv", "c.csv"])
        try await rig.run(until: "all three are LOADED") {
            for path in paths where try await rig.state(of: path) != .loaded { return false }
            return true
        }
        await rig.stop()
        #expect(s3.keys.count == 3)
        #expect(s3.keys.allSatisfy { $0.hasPrefix("sfc-rig/stages/db.s.up_stage/landing/") }, "\(s3.keys)")
        #expect(try await rig.fixture.emulator.rows(of: "DB.S.T").count == 3)
        let received = await rig.fixture.emulator.receivedPaths(pipe: ServiceRig.uploadPipe)
        #expect(received.count == 3 && received.values.allSatisfy { $0 == 1 }, "\(received)")
    }

    @Test func aFailingStageBacksOffDoublingShowsWhyAndLoadsEachFileOnceWhenBack() async throws {
        let (rig, events, s3) = try await uploadRig()
        s3.failNextWrites(5)
        let paths = drop(rig, events, ["x.csv", "y.csv"])
        try await rig.run(until: "the first failure is recorded for status") {
            try await rig.outbox.summary().first { $0.pipe == ServiceRig.uploadPipe }?.uploadProblem != nil
        }
        #expect(await rig.context.statusLine().contains("\(ServiceRig.uploadPipe) uploads: "))
        try await rig.run(until: "both are LOADED") {
            for path in paths where try await rig.state(of: path) != .loaded { return false }
            return true
        }
        await rig.stop()
        let retries = rig.log.messages.filter { $0.contains("upload to the stage failed") }
        #expect(retries.count >= 3, "\(retries)")
        // Full jitter at 0.5 of the window (the rig's random): 0.25, 0.5, 1, … seconds, never a tight loop.
        #expect(rig.elapsed.seconds >= 0.25 + 0.5 + 1, "waited \(rig.elapsed.seconds) virtual s")
        #expect(try await rig.outbox.summary().first { $0.pipe == ServiceRig.uploadPipe }?.uploadProblem == nil)
        #expect(try await rig.fixture.emulator.rows(of: "DB.S.T").count == 2)
        let received = await rig.fixture.emulator.receivedPaths(pipe: ServiceRig.uploadPipe)
        #expect(received.values.sorted() == [1, 1], "\(received)")
        // Each failed write is one file's retry, counted by S3's error code.
        let text = String(decoding: rig.context.metrics.exposition(), as: UTF8.self)
        #expect(text.contains(#"snowpiped_upload_retries_total{pipe="DB.S.UP_PIPE",code="SlowDown"} 5"#), "\(text)")
    }
}
