/// Which file a backfill registers with a pipe (`snowpiped backfill`): files already in a directory, e.g. kept
/// after a migration or held because their rule's pipe changed. Pure.
///
/// Rules, in order:
/// - a file older than `--since` (by mtime) is left alone;
/// - a stage path the outbox knows for this pipe (any state) is left alone: it was sent, or is on its way;
/// - a stage path Snowflake's load history of the pipe lists (the last 14 days: what Snowpipe remembers) is left
///   alone: Snowpipe received it, and would skip it anyway (or it loaded through another tool);
/// - anything else is registered, even if another pipe's history holds it: asking for that is the point.
public enum BackfillRule {
    /// Why a file is or is not registered.
    public enum Verdict: String, Sendable, Equatable, CaseIterable {
        case register
        case olderThanSince = "older than --since"
        case inOutbox = "already in the outbox for this pipe"
        case inLoadHistory = "in the pipe's load history"
    }

    public static func verdict(
        stagePath: String, modifiedAt: Double, since: Double?, known: Set<String>, history: Set<String>
    ) -> Verdict {
        if let since, modifiedAt < since { return .olderThanSince }
        if known.contains(stagePath) { return .inOutbox }
        if history.contains(stagePath) { return .inLoadHistory }
        return .register
    }
}
