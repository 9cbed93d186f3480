import IngestCore
import Testing

@Suite("Report following: when to read, gaps, paging with a resumable cursor, deadlines")
struct ReportTrackerTests {
    let settings = ReportTracker.Settings(pollInterval: 5, deadline: 3600, retention: 600, gapMargin: 60)
    let t0 = 1_800_000_000.0

    @Test func nothingAwaitedMeansNoRequestAtAll() {
        let tracker = ReportTracker(settings: settings)
        #expect(tracker.next(awaiting: 0, allowedAt: nil, now: t0) == .idle)
    }

    @Test func readsAtOnceThenEveryPollIntervalOrWhenWoken() {
        var tracker = ReportTracker(settings: settings)
        #expect(tracker.next(awaiting: 3, allowedAt: nil, now: t0) == .read)
        tracker.readBegins(now: t0)
        #expect(tracker.next(awaiting: 3, allowedAt: nil, now: t0 + 1) == .wait(until: t0 + 5))
        #expect(tracker.next(awaiting: 3, allowedAt: nil, now: t0 + 5) == .read)
        tracker.wake()
        #expect(tracker.next(awaiting: 3, allowedAt: nil, now: t0 + 1) == .read)
    }

    @Test func theBackoffHoldsEvenAWokenRead() {
        var tracker = ReportTracker(settings: settings)
        tracker.wake()
        #expect(tracker.next(awaiting: 1, allowedAt: t0 + 30, now: t0) == .wait(until: t0 + 30))
        #expect(tracker.next(awaiting: 1, allowedAt: t0 + 30, now: t0 + 30) == .read)
    }

    /// (reportedThrough offset, oldest submission offset, completeResult, expected reason or nil, expected start).
    static let gaps: [(Double?, Double?, Bool, ReportTracker.GapReason?, Double?)] = [
        // Read 5 s ago, complete: no gap.
        (-5, -100, true, nil, nil),
        // Read 539 s ago: still inside the retention less the margin.
        (-539, nil, true, nil, nil),
        // Read 541 s ago (a long backoff): events may have expired.
        (-541, nil, true, .unreadTooLong, -601),
        // The daemon was down for two hours.
        (-7200, -7300, true, .unreadTooLong, -7260),
        // A pipe quiet for 15 minutes, then one file submitted 20 s ago: nothing it awaits can have been missed.
        (-900, -20, true, nil, nil),
        // Quiet, then a file submitted 700 s ago whose reports were not read since (a backoff): from its submission.
        (-900, -700, true, .unreadTooLong, -760),
        // Never read completely: the oldest submission decides.
        (nil, -30, true, nil, nil),
        (nil, -3600, true, .unreadTooLong, -3660),
        // The report itself says it lost events.
        (-5, nil, false, .incompleteReport, -65),
        // Nothing known at all, incomplete: from the request time less the margin.
        (nil, nil, false, .incompleteReport, -60),
    ]

    @Test(arguments: gaps)
    func aGapIsReadWhenTheReportMayHaveLostEvents(
        through: Double?, oldest: Double?, complete: Bool, reason: ReportTracker.GapReason?, start: Double?
    ) {
        let tracker = ReportTracker(settings: settings)
        let gap = tracker.gap(
            reportedThrough: through.map { t0 + $0 }, oldestSubmission: oldest.map { t0 + $0 }, requestTime: t0,
            completeResult: complete)
        #expect(gap?.reason == reason)
        #expect(gap?.scan.start == start.map { SnowpipeTimestamp.format(seconds: t0 + $0) })
        #expect(gap?.scan.advancesCursor ?? true)
    }

    @Test func historyIsPagedOnRangeEndTimeUntilComplete() {
        var scan = HistoryScan(from: t0, resumingAt: nil, advancesCursor: true)
        #expect(scan.start == SnowpipeTimestamp.format(seconds: t0))
        let page1 = scan.pageRead(rangeEndTime: "2027-01-15T08:00:10.000Z", completeResult: false)
        #expect(page1)
        #expect(scan.start == "2027-01-15T08:00:10.000Z")
        #expect(scan.progress(rangeEndTime: "2027-01-15T08:00:10.000Z") == 1_800_000_010)
        let page2 = scan.pageRead(rangeEndTime: "2027-01-15T08:00:20.000Z", completeResult: true)
        #expect(page2 == false)
        #expect(scan.pages == 2)
    }

    @Test func aPageThatDoesNotAdvanceEndsTheScanAndSoDoesThePageLimit() {
        var stuck = HistoryScan(from: t0, resumingAt: "2027-01-15T08:00:10.000Z", advancesCursor: true)
        let page3 = stuck.pageRead(rangeEndTime: "2027-01-15T08:00:10.000Z", completeResult: false)
        #expect(page3 == false)
        let page4 = stuck.pageRead(rangeEndTime: nil, completeResult: false)
        #expect(page4 == false)
        var bounded = HistoryScan(from: t0, resumingAt: nil, advancesCursor: false, 3)
        var pages = 0
        while bounded.pageRead(
            rangeEndTime: SnowpipeTimestamp.format(seconds: t0 + Double(pages + 1)), completeResult: false)
        {
            pages += 1
        }
        #expect(bounded.pages == 3)
        // A final (deadline) scan never moves the cursor.
        #expect(bounded.progress(rangeEndTime: "2027-01-15T08:00:10.000Z") == nil)
    }

    @Test func anInterruptedGapScanResumesExactlyWhereItStoppedUntilTheReportIsApplied() {
        var tracker = ReportTracker(settings: settings)
        let first = tracker.gap(
            reportedThrough: t0 - 7200, oldestSubmission: nil, requestTime: t0, completeResult: true)
        var scan = try! #require(first).scan
        let page5 = scan.pageRead(rangeEndTime: "2027-01-15T06:30:00.000Z", completeResult: false)
        #expect(page5)
        tracker.gapScanProgressed(scan)
        // A 429 cut the scan here; the next cycle's gap starts at the page it had reached.
        let again = tracker.gap(
            reportedThrough: t0 - 7200, oldestSubmission: nil, requestTime: t0 + 5, completeResult: true)
        #expect(again?.scan.start == "2027-01-15T06:30:00.000Z")
        tracker.reportApplied()
        let later = tracker.gap(
            reportedThrough: t0 - 7200, oldestSubmission: nil, requestTime: t0 + 5, completeResult: true)
        #expect(later?.scan.start == SnowpipeTimestamp.format(seconds: t0 - 7260))
    }

    @Test func filesPastTheDeadlineGetOneLastScanFromTheEarliestOfThem() {
        let tracker = ReportTracker(settings: settings)
        #expect(tracker.overdueCutoff(now: t0) == t0 - 3600)
        let scan = tracker.overdueScan(earliestSubmission: t0 - 4000)
        #expect(scan.start == SnowpipeTimestamp.format(seconds: t0 - 4060))
        #expect(scan.advancesCursor == false)
    }
}

@Suite("Reconciling Snowpipe's answers with file rows")
struct ReportReconciliationTests {
    let candidate = ReportReconciliation.Candidate(id: 7, batchCreatedAt: 1_000_000)

    @Test(arguments: [
        ("LOADED", ReportReconciliation.Verdict.end(.loaded)), ("PARTIALLY_LOADED", .end(.partiallyLoaded)),
        ("LOAD_FAILED", .end(.loadFailed)), ("loaded", .end(.loaded)), ("LOAD_IN_PROGRESS", .progress),
        ("SOMETHING_NEW", .progress),
    ])
    func aReportEndsItsRowOrOnlyUpdatesIt(status: String, verdict: ReportReconciliation.Verdict) {
        #expect(ReportReconciliation.verdict(status: status, timeReceived: 1_000_010, for: candidate) == verdict)
    }

    @Test func aReportForAPathWeDidNotSubmitIsIgnored() {
        #expect(ReportReconciliation.verdict(status: "LOADED", timeReceived: nil, for: nil) == .ignore)
    }

    @Test func aReportOfAnOlderVersionOfThePathIsIgnored() {
        // Received more than 5 minutes before our batch existed: an earlier version's load.
        #expect(
            ReportReconciliation.verdict(status: "LOADED", timeReceived: 1_000_000 - 301, for: candidate) == .ignore)
        // Within the clock margin: ours.
        #expect(
            ReportReconciliation.verdict(status: "LOADED", timeReceived: 1_000_000 - 299, for: candidate)
                == .end(.loaded))
        // No times to compare: ours.
        let unknown = ReportReconciliation.Candidate(id: 7, batchCreatedAt: nil)
        #expect(ReportReconciliation.verdict(status: "LOADED", timeReceived: 5, for: unknown) == .end(.loaded))
    }

    @Test func aPathSkippedOnARetryMayBeOursAndEndsSkippedAtTheDeadline() {
        #expect(ReportReconciliation.skippedOnInsert(firstAttempt: true) == .skipped)
        #expect(ReportReconciliation.skippedOnInsert(firstAttempt: false) == .maybeOurs)
        #expect(ReportReconciliation.expired(maybeSkipped: true) == .skipped)
        #expect(ReportReconciliation.expired(maybeSkipped: false) == .notReported)
    }
}
