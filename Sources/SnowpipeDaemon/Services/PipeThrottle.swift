import Foundation
import IngestCore
import SnowpipeAPI
import Synchronization

/// Per-pipe backoff shared by the pipe's batcher and reporter: a 429 (or 5xx storm) on any endpoint slows
/// the whole pipe, as DESIGN.md asks. Also remembers what the pipe is waiting for, for `sd_notify STATUS=`.
public final class PipeThrottle: Sendable {
    private struct State {
        var notBefore: Date = .distantPast
        var failures = 0
        var reason: String?
    }
    private let state = Mutex(State())
    public let pipe: String

    public init(pipe: String) { self.pipe = pipe }

    /// Time before which no request should be made.
    public var notBefore: Date { state.withLock { $0.notBefore } }

    /// Consecutive failures (for exponential backoff).
    public var failures: Int { state.withLock { $0.failures } }

    /// What the pipe is waiting for, or nil when healthy.
    public var reason: String? { state.withLock { $0.reason } }

    /// Pushes the next request back until `until`, recording why.
    public func backOff(until: Date, reason: String) {
        state.withLock { s in
            s.notBefore = max(s.notBefore, until)
            s.failures += 1
            s.reason = reason
        }
    }

    /// Backs off after a failed request as `policy` says (exponential, full jitter, or `Retry-After`);
    /// `fallback` seconds for answers the policy does not retry. Returns the delay in seconds.
    @discardableResult
    public func backOff(
        after error: SnowpipeError, policy: RetryPolicy, random: Double, now: Date, fallback: TimeInterval
    ) -> TimeInterval {
        let outcome: AttemptOutcome
        switch error.kind {
        case .http(let status): outcome = .status(status, retryAfter: error.retryAfter)
        case .malformedResponse: outcome = .unreadableBody
        default: outcome = .noAnswer
        }
        var seconds = fallback
        if case .retry(let delay) = policy.decide(outcome, failures: failures, renewedToken: true, random: random) {
            seconds = max(0.1, Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18)
        }
        backOff(until: now.addingTimeInterval(seconds), reason: "\(error.operation) failed")
        return seconds
    }

    /// A request succeeded: back to full speed.
    public func succeeded() {
        state.withLock { s in
            s.failures = 0
            s.reason = nil
            s.notBefore = .distantPast
        }
    }

    /// Sleeps until the pipe may send again.
    public func waitUntilAllowed(now: @Sendable () -> Date) async throws {
        let wait = notBefore.timeIntervalSince(now())
        if wait > 0 { try await Task.sleep(for: .milliseconds(Int64(wait * 1000))) }
    }
}
