/// One pipe's report following, as decisions: when to read insertReport, whether the report may have missed
/// events (a gap to fill with loadHistoryScan), how history is paged and where an interrupted scan resumes,
/// and when submitted files are overdue. Pure: the reporter passes the persisted cursor, the instant, and what
/// Snowpipe answered; it performs the calls and the outbox writes.
///
/// Rules:
/// - reports are read only while files await one (an idle daemon sends nothing): every `pollInterval`, at once
///   after a wake-up (new files submitted), never while the pipe's backoff holds;
/// - reports are complete up to `since`: the later of the last complete read and the oldest submission awaiting a
///   report (events of a file cannot predate it, so a pipe quiet for an hour lost nothing). When
///   more than the report retention (10 minutes) less `gapMargin` passed since then — the daemon was down, or
///   a backoff kept it from reading — or the report says `completeResult=false`, the window from `since` less
///   `gapMargin` (clock differences) is read with loadHistoryScan;
/// - history is paged on `rangeEndTime` while `completeResult=false`, stopping when a page does not advance or
///   after `maximumPages`; a gap scan commits each page's `rangeEndTime` as the new `since`, and remembers it, so
///   a scan cut short (a 429) resumes exactly there, and one cut by a restart resumes from the cursor less the
///   margin instead of paging the whole window again;
/// - files submitted more than `deadline` ago get one more history scan from the earliest of them, then end
///   (`ReportReconciliation.expired`).
public struct ReportTracker: Sendable, Equatable {
    /// The tunables.
    public struct Settings: Sendable, Equatable {
        /// Seconds between insertReport reads while files await reports.
        public var pollInterval: Double
        /// Seconds after submission a file with no report is overdue.
        public var deadline: Double
        /// How long insertReport keeps events.
        public var retention: Double
        /// Read history from this long before a gap (clock differences between us and Snowflake).
        public var gapMargin: Double
        /// At most this many history pages in one scan.
        public var maximumPages: Int

        public init(
            pollInterval: Double, deadline: Double, retention: Double = SnowpipeLimits.reportRetentionSeconds,
            gapMargin: Double = 60, maximumPages: Int = 1000
        ) {
            self.pollInterval = pollInterval
            self.deadline = deadline
            self.retention = retention
            self.gapMargin = gapMargin
            self.maximumPages = maximumPages
        }
    }

    /// What the reporter does next.
    public enum Step: Sendable, Equatable {
        /// Nothing awaits a report: wait for a wake-up.
        case idle
        /// Read reports (a whole cycle: insertReport, gap, deadline).
        case read
        /// Nothing before this instant, unless woken.
        case wait(until: Double)
    }

    /// Why the report may have missed events.
    public enum GapReason: Sendable, Equatable {
        /// insertReport said `completeResult=false`.
        case incompleteReport
        /// Reports were not read for longer than their retention (the daemon was down, or backing off).
        case unreadTooLong
    }

    /// A window whose events the report may have lost.
    public struct Gap: Sendable, Equatable {
        /// Reports were complete up to this instant (nil: never read and nothing submitted known).
        public var since: Double?
        public var reason: GapReason
        /// The scan that fills it.
        public var scan: HistoryScan
    }

    public let settings: Settings
    /// When the last read cycle began (nil: none yet).
    public private(set) var lastRead: Double?
    /// A wake-up asked for a read before the poll interval is over.
    public private(set) var woken = true
    /// Where an interrupted gap scan stopped (a `rangeEndTime`, in Snowflake's clock).
    public private(set) var scanResume: String?

    public init(settings: Settings) {
        self.settings = settings
    }

    /// The next step with `awaiting` files awaiting reports and the pipe's backoff open from `allowedAt`.
    public func next(awaiting: Int, allowedAt: Double?, now: Double) -> Step {
        guard awaiting > 0 else { return .idle }
        if let allowedAt, allowedAt > now { return .wait(until: allowedAt) }
        if woken { return .read }
        guard let lastRead else { return .read }
        let due = lastRead + settings.pollInterval
        return now >= due ? .read : .wait(until: due)
    }

    /// New files were submitted: read soon.
    public mutating func wake() { woken = true }

    /// A read cycle begins at `now`.
    public mutating func readBegins(now: Double) {
        lastRead = now
        woken = false
    }

    /// Whether `gap` needs the oldest submission awaiting a report: reports never read completely, or read too
    /// long ago (the later of the two instants decides).
    public func needsOldestSubmission(reportedThrough: Double?, requestTime: Double) -> Bool {
        guard let reportedThrough else { return true }
        return requestTime - reportedThrough > settings.retention - settings.gapMargin
    }

    /// The gap an insertReport answer leaves, if any: from the later of the last complete read and the oldest
    /// submission awaiting a report.
    /// - Parameters:
    ///   - reportedThrough: the persisted instant reports are complete up to (nil: never read completely).
    ///   - oldestSubmission: the oldest submission still awaiting a report.
    ///   - requestTime: when the insertReport request was made.
    public func gap(reportedThrough: Double?, oldestSubmission: Double?, requestTime: Double, completeResult: Bool)
        -> Gap?
    {
        // Events of the files awaited cannot predate their submission: a quiet pipe (nothing awaited for a while)
        // has lost nothing that matters.
        let since = [reportedThrough, oldestSubmission].compactMap { $0 }.max()
        let unread = since.map { requestTime - $0 > settings.retention - settings.gapMargin } ?? false
        guard unread || completeResult == false else { return nil }
        let start = (since ?? requestTime) - settings.gapMargin
        return Gap(
            since: since, reason: completeResult ? .unreadTooLong : .incompleteReport,
            scan: HistoryScan(from: start, resumingAt: scanResume, advancesCursor: true, settings.maximumPages))
    }

    /// A gap scan read a page: remember where it stands, so a retry resumes there.
    public mutating func gapScanProgressed(_ scan: HistoryScan) {
        if scan.advancesCursor { scanResume = scan.start }
    }

    /// The report was applied: the gap is filled, no scan to resume.
    public mutating func reportApplied() { scanResume = nil }

    /// Files submitted before this instant are overdue at `now`.
    public func overdueCutoff(now: Double) -> Double { now - settings.deadline }

    /// The last history scan for overdue files, the earliest submitted at `earliest`.
    public func overdueScan(earliestSubmission earliest: Double) -> HistoryScan {
        HistoryScan(
            from: earliest - settings.gapMargin, resumingAt: nil, advancesCursor: false, settings.maximumPages)
    }
}

/// A loadHistoryScan over a window, page by page: each page starts at the previous page's `rangeEndTime`.
public struct HistoryScan: Sendable, Equatable {
    /// Where the next page starts (ISO-8601, as sent in `startTimeInclusive`).
    public private(set) var start: String
    /// Pages read so far.
    public private(set) var pages = 0
    /// Each page's `rangeEndTime` is the instant reports are complete up to (a gap scan), or not (a final scan).
    public let advancesCursor: Bool
    let maximumPages: Int

    /// A scan from `from` (seconds since 1970), or from `resumingAt` when an earlier attempt stopped there.
    public init(from: Double, resumingAt: String?, advancesCursor: Bool, _ maximumPages: Int = 1000) {
        start = resumingAt ?? SnowpipeTimestamp.format(seconds: from)
        self.advancesCursor = advancesCursor
        self.maximumPages = maximumPages
    }

    /// What a page answered: returns true when another page must be read (from the new `start`).
    public mutating func pageRead(rangeEndTime: String?, completeResult: Bool) -> Bool {
        pages += 1
        guard completeResult == false, let next = rangeEndTime, next != start, pages < maximumPages else {
            return false
        }
        start = next
        return true
    }

    /// The instant reports are complete up to after a page that ended at `rangeEndTime` (gap scans only).
    public func progress(rangeEndTime: String?) -> Double? {
        guard advancesCursor, let rangeEndTime else { return nil }
        return SnowpipeTimestamp.parse(rangeEndTime)
    }
}
