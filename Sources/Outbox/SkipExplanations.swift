import Foundation

/// The warning given when Snowpipe skips a path (also logged). It never advises an action that would load
/// rows twice: renaming is advised only for data that was not loaded.
public enum SkipExplanation {
    public static let text =
        "Snowpipe skipped this path: the pipe already received a file at this path within the last 14 days "
        + "(its load metadata), even if the content changed or that load failed, and did not load it now. If the "
        + "earlier load failed or never happened, give the file a new name to load it; if rows of it were loaded "
        + "before, put only the rows not yet loaded in a file with a new name (renaming the whole file would load "
        + "the earlier rows twice)."
}

/// The explanation recorded for a file Snowpipe listed in `unmatchedPatternFiles`: the path does not match the
/// pipe's `PATTERN`, so Snowpipe skipped it and it will never appear in a report or the load history.
public enum UnmatchedPatternExplanation {
    public static let text =
        "Snowpipe skipped this path: it does not match the pipe's PATTERN (insertFiles listed it in "
        + "unmatchedPatternFiles), so it will never be loaded under this name. Rename the file to match the PATTERN "
        + "(see DESC PIPE), or change the pipe's PATTERN, or stop watching such files with the rule's `include`."
}

/// The explanation recorded for a file version that changed after its path was sent to Snowpipe. It never
/// advises an action that would load rows twice.
public enum ChangedAfterSend {
    public static func text(sentAt: Date?) -> String {
        let when = sentAt.map { "at \($0.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))" }
        return "this file changed after its path was sent to Snowpipe (\(when ?? "the send was attempted")); "
            + "Snowpipe loads a path once in 14 days, so this version will not be loaded: only what the earlier "
            + "version held is (see `snowpiped status` for that version). To load what was added, put only the new "
            + "rows in a file with a new name (renaming this whole file would load the earlier rows twice). Writers "
            + "should write under a temporary name (e.g. *.tmp) and rename the finished file into the directory."
    }
}
