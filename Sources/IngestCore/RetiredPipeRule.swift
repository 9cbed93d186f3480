/// What becomes of an unfinished outbox row whose pipe no watch rule names any more: its rule was removed, or its
/// `pipe:` changed (a rename, a typo, or its fix). Decided at start-up, before the first scan, so that a file is
/// never queued for two pipes and `status` never shows files waiting for a pipe nothing will serve.
///
/// Rules, safest first (a file must never load twice):
/// - a pending file that never reached Snowflake (no insertFiles attempt, or Snowflake answered the last one with
///   a 4xx, which registers nothing) is released when another rule covers its path now: its row goes, and that
///   rule's scan records it afresh for its own pipe (its own stage path, filters and mode). With no rule covering
///   it, it ends `REJECTED`, saying why;
/// - a pending file whose last attempt had no answer (a timeout, a 5xx, a crash mid-call) may be registered with
///   the old pipe and load there: sending it anywhere else could load it twice, so it ends `NOT_REPORTED`, naming
///   the pipe to check;
/// - a submitted file of a file or upload rule is followed: the old pipe's reporter keeps reading its reports
///   until the file's final status, as if the rule were still there;
/// - a submitted stream file (rows appended to a channel of the old pipe) ends `NOT_REPORTED`: no channel of the
///   old pipe is opened any more to confirm the commit.
public enum RetiredPipeRule {
    /// The facts of one unfinished row the rule needs.
    public struct Row: Sendable, Equatable {
        public var state: FileState
        /// An insertFiles attempt carried it and no 4xx answered that attempt.
        public var mayHaveReached: Bool
        /// Rows of it were appended to a streaming channel.
        public var streamed: Bool

        public init(state: FileState, mayHaveReached: Bool, streamed: Bool) {
            self.state = state
            self.mayHaveReached = mayHaveReached
            self.streamed = streamed
        }
    }

    /// What to do with the row.
    public enum Decision: Sendable, Equatable {
        /// Delete the row: the rule covering the path now records the file again at its scan.
        case release
        /// End the file now with this state and reason.
        case end(FileState, reason: String)
        /// Keep it: a submitted file is followed by the old pipe's reporter to its final status; a finished one
        /// needs nothing.
        case keep
    }

    /// The decision for `row` of `pipe` (which no rule names), `covered` when a rule of another pipe holds its path.
    public static func decide(_ row: Row, pipe: String, covered: Bool) -> Decision {
        switch row.state {
        case .pending where row.mayHaveReached == false:
            if covered { return .release }
            return .end(
                .rejected,
                reason: "never sent: no watch rule covers it any more (its rule named pipe \(pipe), which the "
                    + "configuration no longer names)")
        case .pending:
            return .end(
                .notReported,
                reason: "an insertFiles call to pipe \(pipe) carried it and got no answer before the configuration "
                    + "stopped naming that pipe: it may have loaded there (check that pipe's load history); "
                    + "it is not sent anywhere else, which could load it twice")
        case .submitted where row.streamed:
            return .end(
                .notReported,
                reason: "its rows were appended to a channel of pipe \(pipe), which the configuration no longer "
                    + "names: their commit was not confirmed (check the table)")
        default:
            return .keep
        }
    }
}
