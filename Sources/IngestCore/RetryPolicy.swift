/// The numbers of the retry rules (the rules themselves are `PipeBackoff`): full-jitter exponential backoff
/// (`random × min(cap, base × 2^failures)`), the longest `Retry-After` honoured, and how long a pipe rests after
/// an answer that retrying at once cannot mend.
public struct RetryPolicy: Sendable, Equatable {
    /// Default first backoff.
    public static let defaultBase = Duration.seconds(1)
    /// Default longest backoff.
    public static let defaultCap = Duration.seconds(60)
    /// Default longest wait a `Retry-After` can ask for.
    public static let defaultMaximumRetryAfter = Duration.seconds(600)

    /// Default rest of a pipe that answers 403/404 (unknown, or no rights): the operator must act.
    public static let defaultUnavailablePause = Duration.seconds(300)
    /// Default rest after an answer that is final for its request (a 415, a second 401, a 400 on a report).
    public static let defaultRefusedPause = Duration.seconds(30)

    public var base: Duration
    public var cap: Duration
    public var maximumRetryAfter: Duration
    public var unavailablePause: Duration
    public var refusedPause: Duration

    public init(
        base: Duration = defaultBase,
        cap: Duration = defaultCap,
        maximumRetryAfter: Duration = defaultMaximumRetryAfter,
        unavailablePause: Duration = defaultUnavailablePause,
        refusedPause: Duration = defaultRefusedPause
    ) {
        self.base = base
        self.cap = cap
        self.maximumRetryAfter = maximumRetryAfter
        self.unavailablePause = unavailablePause
        self.refusedPause = refusedPause
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
