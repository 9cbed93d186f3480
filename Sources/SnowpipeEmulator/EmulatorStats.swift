/// Counters exposed at `GET /admin/stats` (not part of Snowpipe): what clients did and what was loaded.
public struct EmulatorStats: Codable, Sendable, Equatable {
    /// Requests to the Snowpipe endpoints (any outcome, faults included).
    public var apiRequests = 0
    /// insertFiles calls (any outcome).
    public var insertFilesCalls = 0
    /// insertReport calls (any outcome).
    public var insertReportCalls = 0
    /// loadHistoryScan calls (any outcome).
    public var loadHistoryScanCalls = 0
    /// Paths named in accepted insertFiles calls, duplicates included.
    public var pathsReceived = 0
    /// Paths queued for loading (new to the pipe).
    public var filesQueued = 0
    /// Paths skipped because the pipe had received them within 14 days.
    public var filesSkipped = 0
    /// Paths skipped because they did not match the pipe's PATTERN.
    public var filesUnmatched = 0
    /// insertReport events produced (LOAD_IN_PROGRESS included).
    public var eventsProduced = 0
    /// Final statuses by name.
    public var filesByStatus: [String: Int] = [:]
    /// Rows inserted per target table.
    public var rowsByTable: [String: Int] = [:]
    /// Responses by HTTP status.
    public var responsesByStatus: [String: Int] = [:]
    /// Faults injected.
    public var faultsInjected = 0
    /// Snowpipe Streaming requests (any outcome, faults included).
    public var streamingRequests = 0
    /// Scoped tokens issued.
    public var scopedTokensIssued = 0
    /// Appends accepted (file-mode ones included).
    public var streamingAppends = 0
    /// File fragments read from the pipe's stage (the SDK's file mode).
    public var streamingFileFragments = 0
    /// Streamed rows committed into tables.
    public var streamingRowsCommitted = 0
    /// Streamed rows rejected at commit (they did not fit the table).
    public var streamingRowsRejected = 0

    public init() {}
}
