/// The one retry and backoff decision, per pipe: what to do after each answer to an insertFiles, insertReport
/// or loadHistoryScan call, and until when the pipe must not call again. The daemon keeps one per pipe, shared
/// by its batcher and reporter (a 429 on any endpoint slows the whole pipe); the client keeps one per call for
/// its own retries. Pure: the caller passes the current instant (seconds) and a uniform random number.
///
/// The rules (DESIGN.md, "Protocol rules"):
/// - a 2xx: done, back to full speed;
/// - 408, 429, 5xx, no answer (refused, reset, dropped, timed out) and an unreadable 2xx body: the same request
///   again, after exactly `Retry-After` when the server sent one (at most `maximumRetryAfter`), else after full
///   jitter under an exponential ceiling that grows with each consecutive failure;
/// - the first 401 since the last success: renew the token and retry at once; a 401 after a renewal: the
///   request is refused, the pipe backs off exponentially (the key or its registration is wrong);
/// - 400 on `insertFiles`: never the same body at once. `RefusalEvidence` judges it: a batch of several files is
///   split to find the offending file; one file is rejected only when the pipe accepted other files meanwhile;
///   otherwise the pipe itself is refused (its state, e.g. `STOPPED_CLONED`) and pauses on the backoff;
/// - 400 on a report call: rest `refusedPause`;
/// - 403/404 (pipe unknown or not granted): pause the pipe `unavailablePause`; other pipes continue;
/// - any other status: the request is refused; rest `refusedPause`.
public struct PipeBackoff: Sendable, Equatable {
    /// What to do after an answer.
    public enum Decision: Sendable, Equatable {
        /// A 2xx: use the answer.
        case done
        /// The first 401: mint a fresh token, then send the same request at once.
        case renewTokenAndRetry
        /// Send the same request (same body, same requestId) again, not before this instant.
        case retry(at: Double)
        /// The answer is final for this request; the pipe may call again from this instant.
        case refused(retryAt: Double)
        /// A 400 for a batch of several files: split it in two (new requestIds) to find the offending file.
        case splitBatch
        /// A 400 for a one-file batch while the pipe accepts other files: that file is rejected with the server's
        /// message.
        case rejectFile
        /// A 400 that is the pipe's, not a file's (`RefusalEvidence`): no request before this instant, and the
        /// next one should carry another batch.
        case pipeRefused(until: Double)
        /// 403/404: the pipe is unknown or not granted; no request before this instant.
        case paused(until: Double)
    }

    public let policy: RetryPolicy
    /// Consecutive failed answers since the last success.
    public private(set) var failures = 0
    /// No request before this instant (nil: call at will).
    public private(set) var notBefore: Double?
    /// What the pipe is waiting for, in words, while it backs off (for `sd_notify STATUS=` and the log).
    public private(set) var waitingFor: String?
    /// A 401 already renewed the token since the last success.
    public private(set) var renewedToken = false
    /// What the 400s of `insertFiles` have shown about the pipe.
    public private(set) var refusals = RefusalEvidence()

    public init(policy: RetryPolicy = RetryPolicy()) {
        self.policy = policy
    }

    /// True when a request may be made at `now`.
    public func allows(now: Double) -> Bool { notBefore.map { now >= $0 } ?? true }

    /// Records the answer to one request and decides what follows.
    /// - Parameters:
    ///   - files: how many files the request carried (insertFiles), nil for report calls.
    ///   - tokenRenewed: the caller already renewed the token for this request (the client does on the first
    ///     401, so a 401 reaching the pipe's backoff comes after a renewal).
    ///   - reason: what failed, in words, kept as `waitingFor` while the pipe backs off.
    public mutating func record(
        _ outcome: AttemptOutcome, files: Int? = nil, tokenRenewed: Bool = false, now: Double, random: Double,
        reason: @autoclosure () -> String = "a request failed"
    ) -> Decision {
        if tokenRenewed { renewedToken = true }
        switch outcome {
        case .success:
            if files != nil { refusals.accepted(now: now) }
            failures = 0
            notBefore = nil
            waitingFor = nil
            renewedToken = false
            return .done
        case .noAnswer, .unreadableBody:
            return .retry(at: wait(backoff(random: random), now: now, reason: reason()))
        case .status(let status, let retryAfter):
            switch status {
            case 200..<300:
                return record(.success, files: files, now: now, random: random)
            case 401 where renewedToken == false:
                renewedToken = true
                return .renewTokenAndRetry
            case 401:
                return .refused(retryAt: wait(backoff(random: random), now: now, reason: reason()))
            case 408, 429, 500..<600:
                let delay = retryAfter.map { min(max($0, .zero), policy.maximumRetryAfter) } ?? backoff(random: random)
                return .retry(at: wait(delay, now: now, reason: reason()))
            case 400 where files != nil:
                switch refusals.refused(files: files!, now: now) {
                case .split: return .splitBatch
                case .fileRefused: return .rejectFile
                case .pipeRefused:
                    return .pipeRefused(until: wait(backoff(random: random), now: now, reason: reason()))
                }
            case 403, 404:
                return .paused(until: wait(policy.unavailablePause, now: now, reason: reason()))
            default:
                return .refused(retryAt: wait(policy.refusedPause, now: now, reason: reason()))
            }
        }
    }

    /// Counts a failure that the caller mends itself (a channel reopened) and pushes the next call back by the
    /// jittered exponential delay; returns the instant from which the pipe may call again.
    public mutating func backOff(now: Double, random: Double, reason: String) -> Double {
        wait(backoff(random: random), now: now, reason: reason)
    }

    /// The jittered exponential delay for the next failure.
    private func backoff(random: Double) -> Duration {
        policy.backoff(failures: failures, random: random)
    }

    /// Counts a failure and pushes the next request back by `delay` (never earlier than already pushed).
    private mutating func wait(_ delay: Duration, now: Double, reason: String) -> Double {
        failures += 1
        let until = now + delay.seconds
        notBefore = max(notBefore ?? until, until)
        waitingFor = reason
        return notBefore!
    }
}

extension PipeBackoff.Decision {
    /// The instant the pipe may call again after this decision; nil when nothing waits (a success, a renewal
    /// resent at once, a split or a rejected file: the next call goes when the batcher is ready).
    public var resumeAt: Double? {
        switch self {
        case .retry(let at), .refused(let at), .paused(let at), .pipeRefused(let at): return at
        case .done, .renewTokenAndRetry, .splitBatch, .rejectFile: return nil
        }
    }
}

extension Duration {
    /// The duration in seconds.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
