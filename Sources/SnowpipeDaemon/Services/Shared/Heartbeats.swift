import Foundation
import Synchronization

/// When each pipeline loop last showed it was alive. A loop beats on every iteration and its idle waits end
/// at least every `interval`, so a loop that stops beating is stuck (the watchdog then stops pinging systemd,
/// which restarts the daemon).
final class Heartbeats: Sendable {
    private let beats = Mutex<[String: Duration]>([:])
    /// The longest idle wait of a loop.
    let interval: Duration
    /// Monotonic time since some origin: the process's continuous clock, or the rig's manual one.
    let now: @Sendable () -> Duration

    private static let origin = ContinuousClock.now

    init(interval: Duration, now: (@Sendable () -> Duration)? = nil) {
        self.interval = interval
        self.now = now ?? { ContinuousClock.now - Heartbeats.origin }
    }

    /// Records that `loop` is alive.
    func beat(_ loop: String) {
        let now = now()
        beats.withLock { $0[loop] = now }
    }

    /// Loops that have not beaten within `limit`.
    func stale(limit: Duration) -> [String] {
        let now = now()
        return beats.withLock { beats in beats.filter { now - $0.value > limit }.map(\.key).sorted() }
    }
}
