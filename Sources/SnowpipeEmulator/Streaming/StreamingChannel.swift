import Foundation

/// One Snowpipe Streaming channel as the server keeps it: pure state, `now` passed in.
///
/// Rules (the REST reference and `../shared/reference/protocol-notes.md` §3-§4):
/// - Opening an existing channel bumps its client sequencer: every continuation token handed out before is
///   stale. Rows appended but not committed are discarded, or the open is refused with 409 when the caller set
///   `fail_on_uncommitted_rows`. An `offset_token` given on open becomes the committed offset token.
/// - Each continuation token is good for exactly one append: a reused token (a retry of an append that took
///   effect, a second writer) or one from before the last open is refused with 400
///   `STALE_CONTINUATION_TOKEN_SEQUENCER`, and nothing is appended.
/// - An append is not a commit: its rows commit in order, `commitDelay` later; the committed offset token then
///   becomes the append's end offset token. Rows that do not fit the table are skipped and counted
///   (`ON_ERROR = CONTINUE`).
struct StreamingChannel: Sendable {
    /// Canonical name of the pipe (its definition's name).
    let pipe: String
    /// The name as first opened; bulk status matches it exactly (case-sensitive).
    let name: String
    /// When the channel was created, milliseconds since 1970.
    let createdOnMs: Int64
    private(set) var clientSequencer: Int64
    private(set) var rowSequencer: Int64 = 0
    /// The offset token of the last committed append (or the one given on open).
    private(set) var committedOffsetToken: String?
    /// Appends accepted but not committed yet, oldest first.
    private(set) var inFlight: [Append] = []
    /// `channel_status_code`: `SUCCESS` for a usable channel (the REST page's example says `ACTIVE`, but the
    /// official SDK 1.9.1 treats anything but `SUCCESS` as an invalid channel in `wait_for_commit`), or
    /// `ERR_CHANNEL_MUST_BE_REOPENED` after the service invalidated it.
    private(set) var statusCode = Self.usable
    /// Counters reported by channel status.
    private(set) var counters = Counters()

    /// The status code of a usable channel.
    static let usable = "SUCCESS"
    /// The status code of an invalidated channel (as `SYSTEM$STREAMING_CHANNEL_INVALIDATE` leaves it).
    static let mustBeReopened = "ERR_CHANNEL_MUST_BE_REOPENED"

    /// True unless the service invalidated the channel since it was last opened.
    var isUsable: Bool { statusCode == Self.usable }

    /// An accepted append, waiting for its commit.
    struct Append: Sendable {
        /// The NDJSON texts, one row each.
        var rows: [JSONValue]
        /// The offset token the channel commits to with this append (end offset token, or offset token).
        var offsetToken: String?
        var receivedAt: Date
        var commitAt: Date
    }

    /// What channel status reports, plus the admin API's counts.
    struct Counters: Codable, Sendable, Equatable {
        var rowsInserted = 0
        var rowsParsed = 0
        var rowsErrorCount = 0
        var lastErrorOffsetUpperBound: String?
        var lastErrorMessage: String?
        var lastErrorTimestampMs: Int64?
        /// Appends accepted.
        var appends = 0
        /// Commits done and their summed latency, for `snowflake_avg_processing_latency_ms`.
        var commits = 0
        var totalLatencyMs: Int64 = 0
        /// Row number the next committed row gets in the table (`METADATA$FILE_ROW_NUMBER`).
        var nextRowNumber: Int64 = 1

        var averageLatencyMs: Int64 { commits == 0 ? 0 : totalLatencyMs / Int64(commits) }
    }

    /// A new channel with `clientSequencer` (unique across the service).
    init(pipe: String, name: String, createdOnMs: Int64, clientSequencer: Int64, offsetToken: String? = nil) {
        self.pipe = pipe
        self.name = name
        self.createdOnMs = createdOnMs
        self.clientSequencer = clientSequencer
        self.committedOffsetToken = offsetToken
    }

    /// A channel as remembered across a restart. Nothing is in flight, and no token is good until the channel
    /// is reopened (its row sequencer was not remembered): a client resumes from the committed offset token.
    init(
        pipe: String, name: String, createdOnMs: Int64, clientSequencer: Int64, committedOffsetToken: String?,
        statusCode: String, counters: Counters
    ) {
        self.init(
            pipe: pipe, name: name, createdOnMs: createdOnMs, clientSequencer: clientSequencer,
            offsetToken: committedOffsetToken)
        self.statusCode = statusCode
        self.counters = counters
        rowSequencer = -1
    }

    /// The token good for the next append.
    var continuationToken: ContinuationToken {
        ContinuationToken(clientSequencer: clientSequencer, rowSequencer: rowSequencer)
    }

    /// Rows accepted and not committed yet.
    var inFlightRows: Int { inFlight.reduce(0) { $0 + $1.rows.count } }

    /// When the oldest in-flight append commits.
    var nextCommit: Date? { inFlight.first?.commitAt }

    /// Reopens the channel with a new client sequencer (unique across the service).
    /// - Throws: 409 `ERR_CHANNEL_HAS_UNCOMMITTED_DATA` when rows are in flight and `failOnUncommittedRows`.
    mutating func reopen(
        clientSequencer: Int64, offsetToken: String?, failOnUncommittedRows: Bool
    ) throws(StreamingError) {
        if failOnUncommittedRows, inFlight.isEmpty == false { throw .uncommittedData }
        inFlight.removeAll()
        self.clientSequencer = clientSequencer
        rowSequencer = 0
        statusCode = Self.usable
        if let offsetToken { committedOffsetToken = offsetToken }
    }

    /// Fences the channel as `SYSTEM$STREAMING_CHANNEL_INVALIDATE` does: every token is stale until a reopen.
    mutating func invalidate() {
        statusCode = Self.mustBeReopened
        inFlight.removeAll()
    }

    /// Accepts `rows` if `token` is the channel's current continuation token; returns the next one.
    /// - Throws: 400 `STALE_CONTINUATION_TOKEN_SEQUENCER` for any other issued token, nothing appended.
    mutating func append(
        token: ContinuationToken, rows: [JSONValue], offsetToken: String?, now: Date, commitAt: Date
    ) throws(StreamingError) -> ContinuationToken {
        guard isUsable, token == continuationToken else { throw .staleContinuationToken }
        rowSequencer += 1
        counters.appends += 1
        inFlight.append(Append(rows: rows, offsetToken: offsetToken, receivedAt: now, commitAt: commitAt))
        return continuationToken
    }

    /// Removes and returns the appends due at `now`, oldest first; the caller converts and stores their rows,
    /// then calls `committed(_:inserted:errors:now:)` for each, in the same order.
    mutating func takeDue(now: Date) -> [Append] {
        let count = inFlight.prefix { $0.commitAt <= now }.count
        let due = Array(inFlight.prefix(count))
        inFlight.removeFirst(count)
        return due
    }

    /// Records a committed append: its rows counted, its offset token committed, its first bad row (if any)
    /// as the channel's last error.
    mutating func committed(_ append: Append, inserted: Int, errors: Int, firstError: String?, now: Date) {
        counters.rowsParsed += inserted + errors
        counters.rowsInserted += inserted
        counters.rowsErrorCount += errors
        counters.nextRowNumber += Int64(inserted)
        counters.commits += 1
        counters.totalLatencyMs += Int64((now.timeIntervalSince(append.receivedAt) * 1000).rounded())
        if errors > 0, let firstError {
            counters.lastErrorMessage = firstError
            counters.lastErrorOffsetUpperBound = append.offsetToken
            counters.lastErrorTimestampMs = Int64((now.timeIntervalSince1970 * 1000).rounded())
        }
        if let offsetToken = append.offsetToken { committedOffsetToken = offsetToken }
    }
}
