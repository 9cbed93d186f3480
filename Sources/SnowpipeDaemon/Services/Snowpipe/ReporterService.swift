import Foundation
import IngestCore
import Logging
import Outbox
import ServiceLifecycle
import SnowpipeAPI

/// One pipe's report follower, a thin driver of `ReportTracker` (when to read, gaps, paging, deadlines) and the
/// pipe's `PipeBackoff`. Active only while files await a report (an idle daemon sends nothing).
///
/// Each cycle: insertReport with the persisted `nextBeginMark`; the gap the tracker finds, if any, read with
/// loadHistoryScan page by page; the report applied (the outbox reconciles each entry with its row); then the
/// files past the deadline get one last loadHistoryScan and end `NOT_REPORTED`. Each final status is committed,
/// then logged, then the after-load/after-failure action is triggered.
final class ReporterService<C: Clock>: Service where C.Duration == Duration {
    let context: DaemonContext
    let pipe: String
    let clock: C
    /// Shared with the pipe's batcher: a 429 on either slows both.
    let health: PipeHealth
    let logger: Logger

    init(context: DaemonContext, pipe: String, clock: C) {
        self.context = context
        self.pipe = pipe
        self.clock = clock
        health = context.health[pipe]!
        logger = context.logger(forPipe: pipe)
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    private func loop() async {
        let settings = context.configuration.reporter
        var tracker = ReportTracker(
            settings: .init(pollInterval: settings.pollSeconds, deadline: settings.deadlineMinutes * 60))
        let loop = ServiceLoop(
            name: "reporter \(pipe)", heartbeats: context.heartbeats, wake: context.signals(pipe).submitted,
            clock: clock, logger: logger)
        await loop.run { woken in
            if woken { tracker.wake() }
            let awaiting = try await context.outbox.submittedCount(pipe: pipe)
            let now = context.now()
            switch tracker.next(awaiting: awaiting, allowedAt: health.notBefore, now: now.timeIntervalSince1970) {
            case .idle:
                return .wait(context.heartbeats.interval)
            case .wait(let until):
                return .wait(.from(now, until: until))
            case .read:
                tracker.readBegins(now: now.timeIntervalSince1970)
                try await readCycle(&tracker)
                return .again
            }
        } failed: { error in
            guard let error = error as? SnowpipeError else { return false }
            backOff(error)
            return true
        }
    }

    /// One insertReport, the gap it leaves (if any), then the deadline.
    private func readCycle(_ tracker: inout ReportTracker) async throws {
        let outbox = context.outbox
        let cursor = try await outbox.reportCursor(pipe: pipe)
        let requestTime = context.now()
        let oldest =
            tracker.needsOldestSubmission(
                reportedThrough: cursor.reportedThrough?.timeIntervalSince1970,
                requestTime: requestTime.timeIntervalSince1970)
            ? try await outbox.oldestSubmission(pipe: pipe) : nil
        let report = try await context.client.insertReport(pipe: pipe, beginMark: cursor.beginMark)
        health.succeeded(now: context.now())
        context.metrics.request(pipe: pipe, operation: "insertReport", status: 200)
        if let gap = tracker.gap(
            reportedThrough: cursor.reportedThrough?.timeIntervalSince1970,
            oldestSubmission: oldest?.timeIntervalSince1970, requestTime: requestTime.timeIntervalSince1970,
            completeResult: report.completeResult)
        {
            let since = SnowpipeTimestamp.format(seconds: gap.since ?? requestTime.timeIntervalSince1970)
            logger.notice(
                Logger.Message(
                    stringLiteral: "load reports may have missed events since \(since) ("
                        + (gap.reason == .unreadTooLong
                            ? "reports not read for over 10 minutes" : "insertReport completeResult=false")
                        + "); reading that window with loadHistoryScan"))
            context.metrics.reportGap(pipe: pipe)
            try await scan(gap.scan, tracker: &tracker)
        }
        let finished = try await outbox.applyReports(
            pipe: pipe, reports: report.files.map(Self.loadReport), beginMark: report.nextBeginMark,
            reportedThrough: requestTime, now: context.now())
        tracker.reportApplied()
        announce(finished)
        try await expireOverdue(&tracker)
    }

    /// Reads a history scan page by page, applying each page in its own transaction (with the cursor progress
    /// of a gap scan, so an interrupted scan resumes where it stopped).
    private func scan(_ scan: HistoryScan, tracker: inout ReportTracker) async throws {
        var scan = scan
        while true {
            let page = try await context.client.loadHistoryScan(pipe: pipe, start: scan.start, end: nil)
            context.metrics.request(pipe: pipe, operation: "loadHistoryScan", status: 200)
            let finished = try await context.outbox.applyReports(
                pipe: pipe, reports: page.files.map(Self.loadReport), beginMark: nil,
                reportedThrough: scan.progress(rangeEndTime: page.rangeEndTime).map(Date.init(timeIntervalSince1970:)),
                now: context.now())
            announce(finished)
            guard scan.pageRead(rangeEndTime: page.rangeEndTime, completeResult: page.completeResult) else { return }
            tracker.gapScanProgressed(scan)
        }
    }

    /// Files past the deadline: one last history scan, then NOT_REPORTED (or SKIPPED).
    private func expireOverdue(_ tracker: inout ReportTracker) async throws {
        let rules = tracker  // the cut-off reads only the settings; the scan below may update `tracker`
        func cutoff() -> Date {
            Date(timeIntervalSince1970: rules.overdueCutoff(now: context.now().timeIntervalSince1970))
        }
        let overdue = try await context.outbox.overdue(pipe: pipe, submittedBefore: cutoff())
        guard let earliest = overdue.compactMap(\.submittedAt).min() else { return }
        logger.warning(
            "\(overdue.count) file(s) have no load report after \(Int(tracker.settings.deadline / 60)) min; checking the load history"
        )
        // A deadline scan does not advance the cursor, so it leaves the tracker's resume point alone.
        try await scan(tracker.overdueScan(earliestSubmission: earliest.timeIntervalSince1970), tracker: &tracker)
        let stillOverdue = try await context.outbox.overdue(pipe: pipe, submittedBefore: cutoff())
        announce(try await context.outbox.expire(stillOverdue, now: context.now()))
    }

    private func announce(_ finished: [FileRecord]) {
        guard finished.isEmpty == false else { return }
        for file in finished { context.announce(file) }
        context.actionWake.signal()
    }

    private func backOff(_ error: SnowpipeError) {
        let now = context.now()
        let until = health.record(error, now: now, random: context.random()).resumeAt ?? now.timeIntervalSince1970
        context.metrics.request(pipe: pipe, operation: error.operation, status: error.status)
        context.metrics.backedOff(pipe: pipe, seconds: until - now.timeIntervalSince1970)
        let (level, note) = health.alert(error)
        logger.log(
            level: level,
            Logger.Message(
                stringLiteral: "\(error.description); retrying in "
                    + String(format: "%.1f", until - now.timeIntervalSince1970) + " s" + note))
    }

    static func loadReport(_ entry: FileLoadReport) -> LoadReport {
        LoadReport(
            stagePath: entry.path, status: entry.status, rowsInserted: entry.rowsInserted,
            rowsParsed: entry.rowsParsed, errorsSeen: entry.errorsSeen, firstError: entry.firstError,
            firstErrorLine: entry.firstErrorLineNum, firstErrorColumn: entry.firstErrorColumnName,
            systemError: entry.systemError, timeReceived: entry.timeReceived.flatMap(Timestamps.parse))
    }
}
