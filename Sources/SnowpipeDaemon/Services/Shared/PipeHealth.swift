import Foundation
import IngestCore
import Logging
import SnowpipeAPI
import Synchronization

/// One pipe's `PipeBackoff`, shared by its batcher and reporter so that a 429 (or a 5xx storm) on any endpoint
/// slows the whole pipe. Every decision is the pure type's; this only serialises access and translates a
/// `SnowpipeError` into its outcome.
final class PipeHealth: Sendable {
    let pipe: String
    private let backoff: Mutex<PipeBackoff>
    private let alerts = Mutex(AlertLatch())
    private let lastSuccess = Mutex<Date?>(nil)

    init(pipe: String, policy: RetryPolicy = RetryPolicy()) {
        self.pipe = pipe
        backoff = Mutex(PipeBackoff(policy: policy))
    }

    /// Records a failed call; `files` is the batch size for insertFiles.
    func record(_ error: SnowpipeError, files: Int? = nil, now: Date, random: Double) -> PipeBackoff.Decision {
        backoff.withLock {
            $0.record(
                error.outcome, files: files, tokenRenewed: error.renewedToken, now: now.timeIntervalSince1970,
                random: random, reason: Self.reason(error))
        }
    }

    /// A call succeeded: back to full speed. `files`: the batch size of an accepted insertFiles (evidence that the
    /// pipe takes requests), nil for report calls.
    func succeeded(files: Int? = nil, now: Date) {
        backoff.withLock { _ = $0.record(.success, files: files, now: now.timeIntervalSince1970, random: 0) }
        alerts.withLock { $0.clear() }
        lastSuccess.withLock { $0 = now }
    }

    /// When a call of this pipe last succeeded (nil: none since the daemon started).
    var lastSuccessAt: Date? { lastSuccess.withLock { $0 } }

    /// How to log a failed call (`AlertLatch`): a problem that needs an operator is an error the first time since
    /// the pipe last succeeded, a warning after, and `note` (to append to the line) says what to do; any other
    /// failure is a warning with an empty note.
    func alert(_ error: SnowpipeError) -> (level: Logger.Level, note: String) {
        guard let problem = AlertLatch.problem(status: error.status, tokenRenewed: error.renewedToken) else {
            return (.warning, "")
        }
        let first = alerts.withLock { $0.raise(problem) }
        let advice: String
        switch problem {
        case .keyRefused:
            advice =
                "Snowflake refuses this daemon's key pair (the key, the user or the account is wrong, or the public "
                + "key is not registered with ALTER USER … SET RSA_PUBLIC_KEY): `snowpiped check` says which"
        case .pipeUnavailable:
            advice =
                "the pipe does not exist under this name (names are case-sensitive, fully qualified) or the user's "
                + "default role lacks OPERATE and MONITOR on it: `snowpiped check` says which"
        }
        return first
            ? (.error, ". " + advice + "; logged as an error once, then as warnings until a call succeeds")
            : (.warning, ". still: " + advice)
    }

    /// A failure the caller mends by repeating its work later (an upload round): the next attempt is not before
    /// the returned instant (seconds since 1970), on the same jittered exponential backoff as every other call.
    func backOff(reason: String, now: Date, random: Double) -> Double {
        backoff.withLock { $0.backOff(now: now.timeIntervalSince1970, random: random, reason: reason) }
    }

    /// The pipe refused a request without evidence against a file: its next batch should be one not yet tried.
    var probing: Bool { backoff.withLock { $0.refusals.pipeSuspected } }

    /// No request before this instant (seconds since 1970), nil when the pipe may call at will.
    var notBefore: Double? { backoff.withLock { $0.notBefore } }

    /// What the pipe is waiting for, or nil when healthy.
    var waitingFor: String? { backoff.withLock { $0.waitingFor } }

    private static func reason(_ error: SnowpipeError) -> String {
        switch error.kind {
        case .http(let status) where status == 403 || status == 404:
            return "pipe unavailable (HTTP \(status))"
        case .http(400) where error.operation == "insertFiles":
            return "the pipe refuses insertFiles (HTTP 400\(error.code.map { " code \($0)" } ?? ""))"
        case .http(let status): return "\(error.operation) failed (HTTP \(status))"
        case .transport: return "\(error.operation) failed (no answer)"
        case .malformedResponse: return "\(error.operation) failed (unreadable answer)"
        case .authentication: return "\(error.operation) failed (no token)"
        }
    }
}

extension Duration {
    /// The wait from `now` until `deadline` (seconds since 1970), never negative.
    static func from(_ now: Date, until deadline: Double) -> Duration {
        .milliseconds(Int64((max(0, deadline - now.timeIntervalSince1970) * 1000).rounded(.up)))
    }
}
