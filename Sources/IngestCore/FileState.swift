/// Where a file is in its life, as stored in the outbox (DESIGN.md, "File lifecycle").
///
/// `pending` and `submitted` are the only non-terminal states; every terminal state is final for that file
/// version (a new version of the same path gets a new row).
public enum FileState: String, Sendable, CaseIterable, Codable {
    /// Seen and settled, waiting for a batch.
    case pending
    /// Accepted by insertFiles (a 2xx for the batch that carried it); waiting for Snowflake's report.
    case submitted
    /// Snowflake loaded every row.
    case loaded = "LOADED"
    /// Snowflake loaded some rows and skipped others (ON_ERROR = CONTINUE or SKIP_FILE_n).
    case partiallyLoaded = "PARTIALLY_LOADED"
    /// Snowflake loaded nothing from the file.
    case loadFailed = "LOAD_FAILED"
    /// Snowflake had received the path within 14 days and will not load it again.
    case skipped = "SKIPPED"
    /// Never sent: the file or its path cannot be submitted (too long, not UTF-8, unreadable, not a file).
    case rejected = "REJECTED"
    /// No report and no history entry before the deadline.
    case notReported = "NOT_REPORTED"

    /// True for states no later event changes.
    public var isTerminal: Bool {
        switch self {
        case .pending, .submitted: return false
        default: return true
        }
    }

    /// The state a Snowpipe load status moves a submitted file to; nil for `LOAD_IN_PROGRESS` (not final) or
    /// an unknown status.
    public init?(snowpipeStatus: String) {
        switch snowpipeStatus.uppercased() {
        case "LOADED": self = .loaded
        case "PARTIALLY_LOADED": self = .partiallyLoaded
        case "LOAD_FAILED": self = .loadFailed
        default: return nil
        }
    }
}
