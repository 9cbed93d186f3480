/// What one HTTP attempt came to, as far as retrying is concerned.
public enum AttemptOutcome: Sendable, Equatable {
    /// A 2xx with a usable body.
    case success
    /// A non-2xx answer, with its `Retry-After` (seconds) when one was sent.
    case status(Int, retryAfter: Duration?)
    /// No answer: connection refused, reset, dropped, timed out, TLS failure.
    case noAnswer
    /// A 2xx whose body could not be read (an interfering proxy, a truncated answer).
    case unreadableBody
}

/// What to do after an attempt.
public enum RetryAction: Sendable, Equatable {
    /// Finished: use the answer.
    case done
    /// Try the same request again (same body, same requestId) after this long.
    case retry(after: Duration)
    /// Mint a fresh token and try again at once (the first 401 of a request).
    case renewTokenAndRetry
    /// Do not retry this request: the answer is final (400, 403, 404, 415, a second 401, ...).
    case giveUp
}

/// The retry and error classification rules of DESIGN.md, as one pure function.
///
/// 408, 429, 5xx, no answer and unreadable 2xx bodies are retried with exponential backoff and full jitter
/// (`random × min(cap, base × 2^failures)`), or after exactly `Retry-After` when the server sent one (bounded
/// by `maximumRetryAfter`). The first 401 renews the token and retries at once; a second 401 gives up.
/// Everything else gives up: a 400 will not get better by repeating the same body.
public struct RetryPolicy: Sendable, Equatable {
    /// Default first backoff.
    public static let defaultBase = Duration.seconds(1)
    /// Default longest backoff.
    public static let defaultCap = Duration.seconds(60)
    /// Default longest wait a `Retry-After` can ask for.
    public static let defaultMaximumRetryAfter = Duration.seconds(600)

    public var base: Duration
    public var cap: Duration
    public var maximumRetryAfter: Duration

    public init(
        base: Duration = defaultBase,
        cap: Duration = defaultCap,
        maximumRetryAfter: Duration = defaultMaximumRetryAfter
    ) {
        self.base = base
        self.cap = cap
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// The action after `outcome`. `failures` counts earlier failed attempts of this request (0 for the first
    /// failure), `renewedToken` says whether a 401 already renewed the token, `random` is uniform in [0, 1).
    public func decide(_ outcome: AttemptOutcome, failures: Int, renewedToken: Bool, random: Double) -> RetryAction {
        switch outcome {
        case .success:
            return .done
        case .noAnswer, .unreadableBody:
            return .retry(after: backoff(failures: failures, random: random))
        case .status(let status, let retryAfter):
            switch status {
            case 200..<300:
                return .done
            case 401:
                return renewedToken ? .giveUp : .renewTokenAndRetry
            case 408, 429, 500..<600:
                if let retryAfter, retryAfter >= .zero { return .retry(after: min(retryAfter, maximumRetryAfter)) }
                return .retry(after: backoff(failures: failures, random: random))
            default:
                return .giveUp
            }
        }
    }

    /// Full-jitter backoff: uniform in [0, min(cap, base × 2^failures)).
    public func backoff(failures: Int, random: Double) -> Duration {
        let exponent = min(max(failures, 0), 30)
        let ceiling = min(cap, base * (1 << exponent))
        return ceiling * min(max(random, 0), 1)
    }

    /// Parses a `Retry-After` value: delta-seconds (an HTTP-date is not used by Snowflake and is ignored).
    public static func parseRetryAfter(_ value: String?) -> Duration? {
        guard let value, let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds >= 0 else {
            return nil
        }
        return .milliseconds(Int64(seconds * 1000))
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}

extension Set where Element == Character {
    fileprivate static var whitespaces: Set<Character> { [" ", "\t"] }
}
