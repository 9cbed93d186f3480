import Foundation
import IngestCore
import Synchronization
import Systemd
import TestSupport
import Testing

@testable import SnowpipeDaemon

/// Keeps what the systemd service would send to its manager.
final class RecordingNotifier: ServiceNotifying {
    private let sent = Mutex<[String]>([])
    let watchdogInterval: Duration?

    init(watchdog: Duration?) { watchdogInterval = watchdog }

    var isActive: Bool { true }

    func send(_ assignments: [String]) -> Int32 {
        sent.withLock { $0 += assignments }
        return 1
    }

    var messages: [String] { sent.withLock { $0 } }
    var watchdogPings: Int { messages.filter { $0 == "WATCHDOG=1" }.count }
    var lastStatus: String? { messages.last { $0.hasPrefix("STATUS=") } }
}

/// The systemd service on the rig: the watchdog pinged at half its interval (at most every 5 s) while every loop
/// beats, withheld once one is stuck, and a STATUS line kept current, in virtual time.
@Suite("The systemd service on a manual clock: watchdog and STATUS", .serialized)
struct SystemdOnAManualClockTests {
    @Test func theWatchdogIsPingedWhileEveryLoopBeatsAndSTATUSSaysWhatHappened() async throws {
        let rig = try ServiceRig(heartbeatSeconds: 15)
        let systemd = RecordingNotifier(watchdog: .seconds(60))
        rig.start(systemd: systemd)
        let path = try await rig.drop("one.csv", rows: 2)
        try await rig.run(until: "one.csv is LOADED") { try await rig.state(of: path) == .loaded }
        let before = systemd.watchdogPings
        try await rig.advance(by: .seconds(600))
        let status = try #require(systemd.lastStatus)
        let pings = systemd.watchdogPings - before
        await rig.stop()
        #expect(pings >= 118 && pings <= 122, "one ping each 5 s for 600 s, got \(pings)")
        #expect(status.contains("0 pending, 0 awaiting report; since start 1 loaded"), "\(status)")
        #expect(
            systemd.messages.suffix(2) == [
                "STOPPING=1", "STATUS=stopping: finishing in-flight work (all state is durable)",
            ])
    }

    @Test func aStuckLoopStopsThePingsAndIsNamedOnce() async throws {
        let rig = try ServiceRig(heartbeatSeconds: 15)
        let systemd = RecordingNotifier(watchdog: .seconds(60))
        rig.start(systemd: systemd)
        // A loop that beat once and never again (as a hung one would).
        rig.context.heartbeats.beat("stuck loop")
        try await rig.advance(by: .seconds(30))
        let beforeStall = systemd.watchdogPings
        #expect(beforeStall >= 5, "pinged while the loop was fresh")
        try await rig.advance(by: .seconds(600))
        await rig.stop()
        #expect(systemd.watchdogPings - beforeStall <= 6, "no ping once the loop is 60 s stale")
        let named = rig.log.messages.filter { $0.contains("pipeline loop(s) stuck: stuck loop") }
        #expect(named.count == 1, "\(named)")
    }
}
