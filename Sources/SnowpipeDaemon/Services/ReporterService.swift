import Foundation
import IngestCore
import Logging
import Outbox
import ServiceLifecycle
import SnowpipeAPI
import Synchronization

/// One pipe's report follower, active only while files await a report (an idle daemon sends nothing).
///
/// Tails insertReport with the persisted `nextBeginMark`. When the report may have lost events (it says
/// `completeResult=false`, or more than its 10-minute retention passed since reports were last read, e.g. the
/// daemon was down), it reads exactly the missed window with loadHistoryScan, paging on `rangeEndTime`.
/// Files with no report after the deadline get one last loadHistoryScan, then end `NOT_REPORTED`.
/// Each final status is committed, then logged, then the after-load/after-failure action is triggered.
public final class ReporterService: Service {
    /// insertReport keeps events this long.
    static let reportRetention: TimeInterval = 600
    /// Read history from a little before the gap, for clock differences between us and Snowflake.
    static let gapMargin: TimeInterval = 60

    let context: DaemonContext
    let pipe: String
    let policy = RetryPolicy()
    /// Shared with the pipe's other stage: a 429 on either slows both.
    let throttle: PipeThrottle
    let logger: Logger
    /// Where an interrupted gap scan stopped: the `rangeEndTime` of its last page, in Snowflake's clock, so a
    /// retry (after a 429, say) continues exactly there. The persisted cursor covers restarts, with the margin.
    private let scanResume = Mutex<String?>(nil)

    public init(context: DaemonContext, pipe: String) {
        self.context = context
        self.pipe = pipe
        throttle = context.throttles[pipe]!
        logger = context.logger(forPipe: pipe)
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    private func loop() async {
        let poll = Duration.milliseconds(Int64(context.configuration.reporter.pollSeconds * 1000))
        let beat = context.heartbeats.interval
        while Task.isCancelled == false {
            context.heartbeats.beat("reporter \(pipe)")
            do {
                if try await context.outbox.submittedCount(pipe: pipe) == 0 {
                    await context.reportWake[pipe]!.wait(timeout: beat)
                    continue
                }
                try await throttle.waitUntilAllowed(now: context.now)
                try await readReports()
                try await expireOverdue()
                await context.reportWake[pipe]!.wait(timeout: min(poll, beat))
            } catch is CancellationError {
                return
            } catch let error as SnowpipeError {
                if Task.isCancelled { return }
                backOff(error)
            } catch {
                if Task.isCancelled { return }  // a clean stop, not an error
                logger.error("reporter: \(error); retrying in 1 s")
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// One insertReport (plus loadHistoryScan when events may have been missed).
    private func readReports() async throws {
        let outbox = context.outbox
        let cursor = try await outbox.reportCursor(pipe: pipe)
        let requestTime = context.now()
        // Reports are complete up to `since`: the last complete read, or (never read) the oldest submission.
        let since: Date?
        if let through = cursor.reportedThrough {
            since = through
        } else {
            since = try await outbox.oldestSubmission(pipe: pipe)
        }
        let stale = since.map { requestTime.timeIntervalSince($0) > Self.reportRetention - Self.gapMargin } ?? false
        let report = try await context.client.insertReport(pipe: pipe, beginMark: cursor.beginMark)
        throttle.succeeded()
        if stale || report.completeResult == false {
            let gapStart = since ?? requestTime
            logger.notice(
                Logger.Message(
                    stringLiteral: "load reports may have missed events since \(Timestamps.format(gapStart)) ("
                        + (report.completeResult
                            ? "reports not read for over 10 minutes" : "insertReport completeResult=false")
                        + "); reading that window with loadHistoryScan"))
            try await scanHistory(from: gapStart.addingTimeInterval(-Self.gapMargin), to: nil, advancesCursor: true)
        }
        let finished = try await outbox.applyReports(
            pipe: pipe, reports: report.files.map(Self.loadReport), beginMark: report.nextBeginMark,
            reportedThrough: requestTime, now: context.now())
        scanResume.withLock { $0 = nil }
        announce(finished)
    }

    /// Reads loadHistoryScan over [start, end), following `rangeEndTime` while the result is incomplete.
    /// - Parameter advancesCursor: a gap scan commits each page's `rangeEndTime` as the time reports are complete
    ///   up to, so a scan cut short resumes where it stopped (after a 429: exactly, from `scanResume`; after a
    ///   restart: from the cursor less the clock margin) instead of paging the whole window again, which could
    ///   never finish on a pipe whose gap takes more pages than succeed between refusals.
    private func scanHistory(from start: Date, to end: Date?, advancesCursor: Bool = false) async throws {
        var from = (advancesCursor ? scanResume.withLock { $0 } : nil) ?? Timestamps.format(start)
        let until = end.map(Timestamps.format)
        for _ in 0..<1000 {
            let page = try await context.client.loadHistoryScan(pipe: pipe, start: from, end: until)
            let progress = advancesCursor ? page.rangeEndTime.flatMap(Timestamps.parse) : nil
            let finished = try await context.outbox.applyReports(
                pipe: pipe, reports: page.files.map(Self.loadReport), beginMark: nil, reportedThrough: progress,
                now: context.now())
            announce(finished)
            guard page.completeResult == false, let next = page.rangeEndTime, next != from else { return }
            from = next
            if advancesCursor { scanResume.withLock { $0 = next } }
        }
    }

    /// Files past the deadline: one last history scan, then NOT_REPORTED (or SKIPPED).
    private func expireOverdue() async throws {
        let deadline = context.configuration.reporter.deadlineMinutes * 60
        let overdue = try await context.outbox.overdue(
            pipe: pipe, submittedBefore: context.now().addingTimeInterval(-deadline))
        guard let earliest = overdue.compactMap(\.submittedAt).min() else { return }
        logger.warning(
            "\(overdue.count) file(s) have no load report after \(Int(deadline / 60)) min; checking the load history")
        try await scanHistory(from: earliest.addingTimeInterval(-Self.gapMargin), to: nil)
        let stillOverdue = try await context.outbox.overdue(
            pipe: pipe, submittedBefore: context.now().addingTimeInterval(-deadline))
        announce(try await context.outbox.expire(stillOverdue, now: context.now()))
    }

    private func announce(_ finished: [FileRecord]) {
        guard finished.isEmpty == false else { return }
        for file in finished { context.announce(file) }
        context.actionWake.signal()
    }

    private func backOff(_ error: SnowpipeError) {
        let unavailable = error.status == 403 || error.status == 404
        let seconds = throttle.backOff(
            after: error, policy: policy, random: context.random(), now: context.now(),
            fallback: unavailable ? BatcherService.unavailablePipePause : 30)
        logger.warning("\(error.description); retrying in \(String(format: "%.1f", seconds)) s")
    }

    static func loadReport(_ entry: FileLoadReport) -> LoadReport {
        LoadReport(
            stagePath: entry.path, status: entry.status, rowsInserted: entry.rowsInserted,
            rowsParsed: entry.rowsParsed, errorsSeen: entry.errorsSeen, firstError: entry.firstError,
            firstErrorLine: entry.firstErrorLineNum, firstErrorColumn: entry.firstErrorColumnName,
            systemError: entry.systemError, timeReceived: entry.timeReceived.flatMap(Timestamps.parse))
    }
}

/// ISO-8601 UTC with milliseconds, as Snowpipe writes and reads times.
enum Timestamps {
    static func parse(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text))
    }

    static func format(_ date: Date) -> String {
        date.formatted(
            Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!))
    }
}
