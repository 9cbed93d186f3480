import Foundation
import IngestCore
import Logging
import Outbox
import ServiceLifecycle
import SnowpipeAPI

/// One pipe's submitter, a thin driver of `BatchPlanner` (when to send) and the pipe's `PipeBackoff` (what an
/// answer means): it counts pending rows, sends insertFiles calls of up to `max_files`, and sleeps on its
/// clock until the planner's or the backoff's deadline, or until the watcher signals new files.
/// The batch and its requestId are committed before the first attempt and each attempt is counted before it is
/// made; rows become `submitted` only after a 2xx. Never gives up on a pipe while the daemon runs.
final class BatcherService<C: Clock>: Service where C.Duration == Duration {
    /// Recheck for pending rows this often even without a wake-up (e.g. after `snowpiped retry`).
    static var idleRecheck: Duration { .seconds(60) }

    let context: DaemonContext
    let pipe: String
    let clock: C
    /// Shared with the pipe's reporter: a 429 on either slows both.
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
        let batching = context.configuration.batching
        var planner = BatchPlanner(maxFiles: batching.maxFiles, linger: Double(batching.lingerMilliseconds) / 1000)
        let stagedOnly = context.configuration.uploadPipes.contains(pipe)
        var problemShown = false  // a submit problem is in the outbox for `status`
        let loop = ServiceLoop(
            name: "batcher \(pipe)", heartbeats: context.heartbeats, wake: context.signals(pipe).filesToSubmit,
            clock: clock, logger: logger)
        await loop.run { _ in
            StallHook.stallIfRequested(stateDirectory: context.configuration.stateDirectory)
            let now = context.now()
            if let notBefore = health.notBefore, notBefore > now.timeIntervalSince1970 {
                return .wait(.from(now, until: notBefore))
            }
            let pending = try await context.outbox.pendingCount(pipe: pipe, stagedOnly: stagedOnly)
            switch planner.plan(pending: pending, now: context.now().timeIntervalSince1970) {
            case .idle:
                return .wait(Self.idleRecheck)
            case .wait(let until):
                return .wait(.from(context.now(), until: until))
            case .send:
                guard
                    let batch = try await context.outbox.nextBatch(
                        pipe: pipe, maxFiles: batching.maxFiles, now: context.now(), stagedOnly: stagedOnly,
                        preferUntried: health.probing, newRequestID: { UUID().uuidString.lowercased() })
                else {
                    planner.sent(count: 0)
                    return .wait(Self.idleRecheck)
                }
                try await send(batch, planner: &planner, problemShown: &problemShown)
                return .again
            }
        }
    }

    private func send(_ batch: Batch, planner: inout BatchPlanner, problemShown: inout Bool) async throws {
        try await context.outbox.beginAttempt(batchID: batch.id)
        let files = batch.files.map { StagedFile(path: $0.stagePath, size: $0.size) }
        do {
            let response = try await context.client.insertFiles(pipe: pipe, files: files, requestID: batch.requestID)
            let skipped = try await context.outbox.completeBatch(
                batch, skippedPaths: Set(response.skippedFiles ?? []),
                unmatchedPaths: Set(response.unmatchedPatternFiles ?? []), now: context.now())
            health.succeeded(files: batch.files.count, now: context.now())
            context.metrics.request(pipe: pipe, operation: "insertFiles", status: 200)
            let skippedIDs = Set(skipped.map(\.id))
            context.metrics.submitted(
                pipe: pipe, files: batch.files.filter { skippedIDs.contains($0.id) == false }, at: context.now())
            if problemShown {
                try await context.outbox.setSubmitProblem(pipe: pipe, nil, now: context.now())
                problemShown = false
                logger.notice("insertFiles accepted a batch again: submissions to this pipe resume")
            }
            planner.sent(count: batch.files.count)
            logger.info(
                "submitted \(batch.files.count - skipped.count) file(s) to insertFiles",
                metadata: ["batch.size": "\(batch.files.count)", "snowpipe.request_id": "\(batch.requestID)"])
            for file in skipped { context.announce(file) }
            if skipped.isEmpty == false { context.actionWake.signal() }
            context.signals(pipe).submitted?.signal()
        } catch let error as SnowpipeError {
            // Cancelled mid-call by a stop: the batch stays unsent and is resent (same requestId) at the next start.
            if Task.isCancelled { throw CancellationError() }
            try await handle(error, batch: batch, planner: &planner, problemShown: &problemShown)
        }
    }

    /// Performs what the pipe's backoff decided about a failed insertFiles; a pause is recorded for `status`.
    private func handle(
        _ error: SnowpipeError, batch: Batch, planner: inout BatchPlanner, problemShown: inout Bool
    ) async throws {
        if error.registeredNothing { try await context.outbox.attemptRefused(batchID: batch.id) }
        let now = context.now()
        let decision = health.record(error, files: batch.files.count, now: now, random: context.random())
        context.metrics.request(pipe: pipe, operation: "insertFiles", status: error.status)
        if let until = decision.resumeAt {
            context.metrics.backedOff(pipe: pipe, seconds: until - now.timeIntervalSince1970)
        }
        switch decision {
        case .splitBatch:
            logger.warning(
                Logger.Message(
                    stringLiteral:
                        "insertFiles refused a batch of \(batch.files.count) as invalid (\(error.message ?? "no message")); "
                        + "splitting it to find the offending file(s)"),
                metadata: ["snowpipe.request_id": "\(batch.requestID)"])
            try await context.outbox.splitBatch(batch, newRequestID: { UUID().uuidString.lowercased() }, now: now)
            planner.batchFormed()
        case .rejectFile:
            let reason =
                "Snowpipe refused it: HTTP 400 \(error.code.map { "code \($0) " } ?? "")"
                + "\"\(error.message ?? "invalid request")\""
            for file in try await context.outbox.rejectBatch(batch, reason: reason, now: now) {
                context.announce(file)
            }
            context.actionWake.signal()
            planner.sent(count: batch.files.count)
        case .pipeRefused(let until):
            planner.batchFormed()
            logger.error(
                Logger.Message(
                    stringLiteral:
                        "\(error.description). No other file of this pipe was accepted since, so the refusal "
                        + "is taken as the pipe's (e.g. a pipe in STOPPED_CLONED state, a missing parameter), not "
                        + "this batch's: no file is rejected; submissions pause and probe again in "
                        + "\(Int((until - now.timeIntervalSince1970).rounded(.up))) s"),
                metadata: ["snowpipe.request_id": "\(batch.requestID)", "batch.size": "\(batch.files.count)"])
            try await showPause(error, problemShown: &problemShown)
        case .paused(let until):
            planner.batchFormed()
            let (level, note) = health.alert(error)
            logger.log(
                level: level,
                Logger.Message(
                    stringLiteral: "\(error.description); submissions to this pipe are paused for "
                        + "\(Int(until - now.timeIntervalSince1970)) s, other pipes continue\(note)"))
            try await showPause(error, problemShown: &problemShown)
        case .retry(let at), .refused(let at):
            planner.batchFormed()
            let (level, note) = health.alert(error)
            logger.log(
                level: level,
                Logger.Message(
                    stringLiteral: "insertFiles failed (\(error.description)); retrying the same batch in "
                        + String(format: "%.1f", at - now.timeIntervalSince1970) + " s" + note),
                metadata: ["snowpipe.request_id": "\(batch.requestID)", "batch.size": "\(batch.files.count)"])
        case .renewTokenAndRetry, .done:
            // The client renews the token itself before a 401 reaches here; resend at once.
            planner.batchFormed()
        }
    }

    /// Records why submissions are paused, for `snowpiped status` (cleared by the next accepted batch).
    private func showPause(_ error: SnowpipeError, problemShown: inout Bool) async throws {
        try await context.outbox.setSubmitProblem(
            pipe: pipe, "submissions paused, probing again with backoff: \(error.description)", now: context.now())
        problemShown = true
    }
}
