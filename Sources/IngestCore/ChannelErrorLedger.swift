/// Which streamed file the rows a channel rejected belong to.
///
/// Snowpipe Streaming skips rows that do not fit the table (`ON_ERROR = CONTINUE`) and reports, per channel, a
/// running `rows_error_count` plus the offset token and message of the *last* error only. The ledger turns each
/// rise of that count into errors of one file: the file holding `last_error_offset_upper_bound`. That is exact
/// when the commits since the previous status read stayed within one file; when they spanned several, the
/// whole rise goes to the file of the last error and the attribution is marked ambiguous (the caller says so in
/// the log). Pure; the caller polls often enough that most windows hold one file.
public struct ChannelErrorLedger: Sendable, Equatable {
    /// The server's count when last read (nil before the first read since the channel was opened).
    public private(set) var seen: Int?
    /// The committed token when last read.
    public private(set) var committed: StreamOffset?

    /// Errors given to one file by one status read.
    public struct Attribution: Sendable, Equatable {
        public var sequence: Int64
        public var errors: Int
        public var message: String?
        /// The commits since the previous read spanned several files.
        public var ambiguous: Bool

        public init(sequence: Int64, errors: Int, message: String?, ambiguous: Bool) {
            self.sequence = sequence
            self.errors = errors
            self.message = message
            self.ambiguous = ambiguous
        }
    }

    public init() {}

    /// Starts counting from the status an open returned.
    public mutating func opened(errorCount: Int, committed: StreamOffset?) {
        seen = errorCount
        self.committed = committed
    }

    /// Reads one channel status; returns the errors it attributes (none when the count did not rise).
    public mutating func observe(
        errorCount: Int, lastErrorOffset: StreamOffset?, message: String?, committed newCommitted: StreamOffset?
    ) -> Attribution? {
        defer {
            seen = errorCount
            if let newCommitted { committed = max(committed ?? newCommitted, newCommitted) }
        }
        guard let seen, errorCount > seen else { return nil }
        let file = lastErrorOffset?.file ?? newCommitted?.file ?? committed?.file ?? 0
        let spanned = (committed?.file).map { previous in (newCommitted?.file ?? previous) != previous } ?? true
        return Attribution(sequence: file, errors: errorCount - seen, message: message, ambiguous: spanned)
    }
}
