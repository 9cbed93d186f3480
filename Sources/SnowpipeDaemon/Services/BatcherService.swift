import Foundation
import IngestCore
import Logging
import Outbox
import ServiceLifecycle
import SnowpipeAPI

/// One pipe's submitter: drains `pending` rows into insertFiles calls of up to `max_files`, as soon as a
/// batch is full or `linger_ms` after the first file. The batch and its requestId are committed before the
/// first attempt and each attempt is counted before it is made; rows become `submitted` only after a 2xx.
/// Retries forever with backoff while the daemon runs (never gives up on a pipe).
public final class BatcherService: Service {
    /// Recheck for pending rows this often even without a wake-up (e.g. after `snowpiped retry`).
    static let idleRecheck = Duration.seconds(60)
    /// How long a pipe that answers 403/404 is left alone before trying again.
    static let unavailablePipePause: TimeInterval = 300

    let context: DaemonContext
    let pipe: String
    let policy = RetryPolicy()
    /// Shared with the pipe's other stage: a 429 on either slows both.
    let throttle: PipeThrottle
    let logger: Logger

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
        let maxFiles = context.configuration.batching.maxFiles
        let linger = Duration.milliseconds(context.configuration.batching.lingerMilliseconds)
        var lingered = false
        let beat = context.heartbeats.interval
        while Task.isCancelled == false {
            context.heartbeats.beat("batcher \(pipe)")
            StallHook.stallIfRequested(stateDirectory: context.configuration.stateDirectory)
            do {
                try await throttle.waitUntilAllowed(now: context.now)
                if lingered == false, linger > .zero {
                    let pending = try await context.outbox.pendingCount(pipe: pipe)
                    if pending == 0 {
                        await context.batchWake[pipe]!.wait(timeout: min(Self.idleRecheck, beat))
                        continue
                    }
                    if pending < maxFiles {
                        try await Task.sleep(for: linger)
                    }
                }
                guard
                    let batch = try await context.outbox.nextBatch(
                        pipe: pipe, maxFiles: maxFiles, now: context.now(),
                        newRequestID: { UUID().uuidString.lowercased() })
                else {
                    lingered = false
                    await context.batchWake[pipe]!.wait(timeout: min(Self.idleRecheck, beat))
                    continue
                }
                try await send(batch)
                // After a full batch more are likely waiting: take the next one at once. After a partial one, the
                // files that arrived meanwhile get their own linger, or a steady trickle would be sent as one
                // full-size call followed by one tiny call every linger period.
                lingered = batch.files.count >= maxFiles
                if try await context.outbox.pendingCount(pipe: pipe) == 0 { lingered = false }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }  // a clean stop, not an error
                logger.error("batcher: \(error); retrying in 1 s")
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func send(_ batch: Batch) async throws {
        try await context.outbox.beginAttempt(batchID: batch.id)
        let files = batch.files.map { StagedFile(path: $0.stagePath, size: $0.size) }
        do {
            let response = try await context.client.insertFiles(pipe: pipe, files: files, requestID: batch.requestID)
            let skipped = try await context.outbox.completeBatch(
                batch, skippedPaths: Set(response.skippedFiles ?? []), now: context.now())
            throttle.succeeded()
            logger.info(
                "submitted \(batch.files.count - skipped.count) file(s) to insertFiles",
                metadata: ["batch.size": "\(batch.files.count)", "snowpipe.request_id": "\(batch.requestID)"])
            for file in skipped { context.announce(file) }
            if skipped.isEmpty == false { context.actionWake.signal() }
            context.reportWake[pipe]?.signal()
        } catch let error as SnowpipeError {
            // Cancelled mid-call by a stop: the batch stays unsent and is resent (same requestId) at the next start.
            if Task.isCancelled { throw CancellationError() }
            try await handle(error, batch: batch)
        }
    }

    private func handle(_ error: SnowpipeError, batch: Batch) async throws {
        let now = context.now()
        switch error.kind {
        case .http(400):
            if batch.files.count > 1 {
                logger.warning(
                    Logger.Message(
                        stringLiteral:
                            "insertFiles refused a batch of \(batch.files.count) as invalid (\(error.message ?? "no message")); "
                            + "splitting it to find the offending file(s)"),
                    metadata: ["snowpipe.request_id": "\(batch.requestID)"])
                try await context.outbox.splitBatch(
                    batch, newRequestID: { UUID().uuidString.lowercased() }, now: now)
            } else {
                let reason =
                    "Snowpipe refused it: HTTP 400 \(error.code.map { "code \($0) " } ?? "")"
                    + "\"\(error.message ?? "invalid request")\""
                for file in try await context.outbox.rejectBatch(batch, reason: reason, now: now) {
                    context.announce(file)
                }
                context.actionWake.signal()
            }
        case .http(403), .http(404):
            throttle.backOff(
                until: now.addingTimeInterval(Self.unavailablePipePause),
                reason: "pipe unavailable (HTTP \(error.status ?? 0))")
            logger.critical(
                Logger.Message(
                    stringLiteral: "\(error.description); submissions to this pipe are paused for "
                        + "\(Int(Self.unavailablePipePause)) s, other pipes continue"))
        default:
            let seconds = throttle.backOff(
                after: error, policy: policy, random: context.random(), now: now, fallback: 30)
            logger.warning(
                "insertFiles failed (\(error.description)); retrying the same batch in \(String(format: "%.1f", seconds)) s",
                metadata: ["snowpipe.request_id": "\(batch.requestID)", "batch.size": "\(batch.files.count)"])
        }
    }
}
