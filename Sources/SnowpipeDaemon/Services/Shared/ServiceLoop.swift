import Foundation
import IngestCore
import Logging

/// The one loop every long-lived service runs: a `turn()` that reads, asks its pure type, acts and records, then
/// says what it needs next. The loop owns what each service used to write out again: the watchdog heartbeat,
/// cancellation (a clean stop is not an error), the wait on the service's wake-up signal bounded by the heartbeat,
/// and the catch-all that logs an unexpected error and pauses before the next turn. A service handles its own
/// protocol errors (the pipe's backoff, a channel reopen) in `failed`, which says whether it did.
struct ServiceLoop<C: Clock>: Sendable where C.Duration == Duration {
    /// What a turn asks for next.
    enum Next: Sendable, Equatable {
        /// Another turn at once.
        case again
        /// Wait this long, or until the wake-up signal.
        case wait(Duration)
    }

    /// Pause after an unexpected error.
    static var errorPause: Duration { .seconds(1) }

    /// The heartbeat's name and the log's word for the service (`batcher DB.S.P`).
    let name: String
    let heartbeats: Heartbeats
    /// Ends a wait early (new work); nil: waits only time out.
    let wake: WakeSignal?
    let clock: C
    let logger: Logger

    /// Turns until cancelled. `turn` gets whether the previous wait ended on the wake-up signal. Runs on the
    /// caller's actor (a stream sender's turns touch its state).
    func run(
        isolation: isolated (any Actor)? = #isolation,
        _ turn: (_ woken: Bool) async throws -> Next,
        failed: (any Error) async -> Bool = { _ in false }
    ) async {
        var woken = false
        while Task.isCancelled == false {
            heartbeats.beat(name)
            do {
                let next = try await turn(woken)
                woken = false
                if case .wait(let duration) = next {
                    let bounded = min(duration, heartbeats.interval)
                    if let wake {
                        woken = await wake.wait(timeout: bounded, clock: clock)
                    } else {
                        try? await clock.sleep(for: bounded)
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }  // a clean stop, not an error
                woken = false
                if await failed(error) { continue }
                logger.error("\(name): \(error); retrying in \(Self.errorPause)")
                try? await clock.sleep(for: Self.errorPause)
            }
        }
    }
}
