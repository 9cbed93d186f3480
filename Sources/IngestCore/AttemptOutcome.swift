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
