/// What to do with a new version (new size or modification time) of a stage path the outbox already knows.
///
/// Snowpipe identifies a file by its path alone and loads a path at most once in 14 days (its load
/// metadata), so a file that changes after its path was sent is not loaded again. The rule, pure and
/// table-tested:
/// - never seen, or last sent more than 14 days ago: record it (`.record`);
/// - the known version is `pending` and its batch was never attempted: nothing reached Snowpipe yet, so the
///   row is updated to describe the new version (`.replacePending`) and one row per path stays in flight;
/// - the path may have reached Snowpipe (a batch attempted, submitted, or finished after a send): the new
///   version is recorded as one Snowpipe will not load (`.notLoadable`), with the time it was sent, so the
///   operator is told instead of the change being silently dropped;
/// - the known versions were only ever rejected before sending: record it.
public enum NewVersionRule {
    /// What the outbox knows of a stage path: its newest row, and when the path was last sent.
    public struct Known: Sendable, Equatable {
        /// The newest row's id.
        public var id: Int64
        /// The newest row's state.
        public var state: FileState
        /// The newest row is in a batch that was attempted at least once (it may have reached Snowpipe).
        public var attempted: Bool
        /// The latest time any version of the path was accepted by insertFiles (nil: never).
        public var lastSent: Double?

        public init(id: Int64, state: FileState, attempted: Bool, lastSent: Double?) {
            self.id = id
            self.state = state
            self.attempted = attempted
            self.lastSent = lastSent
        }
    }

    /// The decision for one new version.
    public enum Decision: Sendable, Equatable {
        /// Record a new pending row.
        case record
        /// Update this pending row (never sent) to the new version.
        case replacePending(id: Int64)
        /// Record the version as one Snowpipe will not load; `sentAt` is when the path was sent (nil: a batch
        /// carrying it was attempted but no answer recorded).
        case notLoadable(sentAt: Double?)
    }

    /// Decides for a new version seen at `now` (seconds since 1970).
    public static func decide(known: Known?, now: Double) -> Decision {
        guard let known else { return .record }
        if known.state == .pending {
            return known.attempted ? .notLoadable(sentAt: known.lastSent) : .replacePending(id: known.id)
        }
        if known.state == .submitted { return .notLoadable(sentAt: known.lastSent) }
        if let sent = known.lastSent, now - sent < SnowpipeLimits.loadMetadataSeconds {
            return .notLoadable(sentAt: sent)
        }
        return .record
    }
}
