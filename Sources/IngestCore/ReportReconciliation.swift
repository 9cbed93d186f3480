/// How Snowpipe's answers end file rows: a load report (insertReport or loadHistoryScan entry), a path listed
/// as skipped by insertFiles, and a report deadline that passed. Pure; the outbox calls it inside the
/// transaction that applies the answer, so the rule and the write are one step.
///
/// Which row a report is for: the oldest row of the pipe with that stage path that awaits a report — `submitted`,
/// or `pending` in a batch already attempted (its 2xx, or a crash, may not have been recorded yet, but a report
/// proves Snowflake received it, and the begin mark is about to move past it). Rows of older versions of the path
/// ended before; reports for paths we did not submit find no row and are ignored.
public enum ReportReconciliation {
    /// Clock difference tolerated between Snowflake's `timeReceived` and our batch's creation time.
    public static let staleReportMargin: Double = 300

    /// The row a report may end.
    public struct Candidate: Sendable, Equatable {
        public var id: Int64
        /// When the row's batch was created (seconds since 1970), nil if unknown.
        public var batchCreatedAt: Double?

        public init(id: Int64, batchCreatedAt: Double?) {
            self.id = id
            self.batchCreatedAt = batchCreatedAt
        }
    }

    /// What a report does to its row.
    public enum Verdict: Sendable, Equatable {
        /// Not this row's report (no row awaits the path, or the report is of an older version).
        case ignore
        /// `LOAD_IN_PROGRESS` (or a status we do not know): update the row's counts, keep it awaiting.
        case progress
        /// A final status: the row ends in this state.
        case end(FileState)
    }

    /// The verdict for a report with `status`, received by Snowflake at `timeReceived`, for `candidate`.
    /// A report received more than `staleReportMargin` before the candidate's batch was created belongs to an
    /// older version of the path (one sent before the 14-day metadata expired) and is ignored.
    public static func verdict(status: String, timeReceived: Double?, for candidate: Candidate?) -> Verdict {
        guard let candidate else { return .ignore }
        if let received = timeReceived, let created = candidate.batchCreatedAt,
            received < created - staleReportMargin
        {
            return .ignore
        }
        return FileState(snowpipeStatus: status).map(Verdict.end) ?? .progress
    }

    /// What a path listed in insertFiles' `skippedFiles` becomes.
    public enum Skip: Sendable, Equatable {
        /// Snowpipe had received the path before (another version, another client): it will not load it.
        case skipped
        /// A retry: the path may be our own earlier attempt that got through. The row stays `submitted`,
        /// flagged, and the reports decide; at the deadline it ends `SKIPPED` rather than `NOT_REPORTED`.
        case maybeOurs
    }

    /// The verdict for a skipped path on the batch's first attempt or on a retry.
    public static func skippedOnInsert(firstAttempt: Bool) -> Skip { firstAttempt ? .skipped : .maybeOurs }

    /// The state of a row still awaiting a report after its deadline and a last history scan.
    public static func expired(maybeSkipped: Bool) -> FileState { maybeSkipped ? .skipped : .notReported }
}
