/// Whether a stream channel's commit has stalled: rows were appended and wait for their commit, and the committed
/// offset token has not moved for `stallAfter` seconds. Said once per stall (`stalled`), and once when the commit
/// moves again (`resumed`). A stall never ends a file: its rows may still commit (the service decides when, and
/// a file ended early would be reported wrongly); the operator is told instead, in the journal and in `status`.
/// Pure: the caller passes each status read and the instant.
public struct CommitWatch: Sendable, Equatable {
    /// What a status read means for the operator.
    public enum Event: Sendable, Equatable {
        case none
        /// Rows have waited this many seconds without the commit moving (said once).
        case stalled(seconds: Double)
        /// The commit moved (or nothing waits any more) after a stall was said.
        case resumed
    }

    /// Default stall threshold: Snowpipe Streaming commits within seconds; ten minutes is far past normal.
    public static let defaultStallSeconds = 600.0

    public let stallAfter: Double
    /// The committed token last seen.
    public private(set) var committed: StreamOffset?
    /// Since when rows have waited without the commit moving (nil: nothing waits).
    public private(set) var waitingSince: Double?
    /// A stall was said and not yet resolved.
    public private(set) var stalled = false

    public init(stallAfter: Double = defaultStallSeconds) {
        self.stallAfter = stallAfter
    }

    /// One status read: the committed token, and whether appended rows wait for their commit.
    public mutating func observe(committed newCommitted: StreamOffset?, waiting: Bool, now: Double) -> Event {
        let moved = newCommitted != committed
        committed = newCommitted
        if waiting == false || moved {
            waitingSince = waiting ? now : nil
            if stalled {
                stalled = false
                return .resumed
            }
            return .none
        }
        let since = waitingSince ?? now
        waitingSince = since
        if stalled == false, now - since >= stallAfter {
            stalled = true
            return .stalled(seconds: now - since)
        }
        return .none
    }
}
