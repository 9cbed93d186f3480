/// The log level of a problem that repeats until an operator acts (a refused key, a pipe that does not exist or
/// is not granted): its first occurrence since the pipe last succeeded is an error, so `journalctl -p err` names
/// it once, with what to do; each retry after that is a warning. A success re-arms it. Pure.
public struct AlertLatch: Sendable, Equatable {
    /// A problem that needs an operator.
    public enum Problem: String, Sendable, Equatable {
        /// Snowflake refused the JWT after a renewal (HTTP 401): key, user or account.
        case keyRefused
        /// HTTP 403/404: the pipe is unknown or not granted.
        case pipeUnavailable
    }

    /// Problems already raised since the last success.
    public private(set) var raised: Set<Problem> = []

    public init() {}

    /// Records an occurrence; true when it is the first since the last success (log it as an error).
    public mutating func raise(_ problem: Problem) -> Bool { raised.insert(problem).inserted }

    /// A call succeeded: the next occurrence of any problem is news again.
    public mutating func clear() { raised.removeAll() }

    /// The problem an HTTP status stands for, if it needs an operator (401 only after the token was renewed).
    public static func problem(status: Int?, tokenRenewed: Bool) -> Problem? {
        switch status {
        case 401 where tokenRenewed: return .keyRefused
        case 403, 404: return .pipeUnavailable
        default: return nil
        }
    }
}
