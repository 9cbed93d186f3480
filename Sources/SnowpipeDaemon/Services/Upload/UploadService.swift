import Foundation
import IngestCore
import Logging
import Outbox
import ServiceLifecycle
import SnowpipeAPI

/// One upload pipe's uploader, a thin driver of `StageUploader`: it takes the pipe's pending files that have
/// no verified upload, uploads up to `concurrency` at a time, commits each verified upload (`staged`) before the
/// batcher may send it, ends with `REJECTED` a file that can never be uploaded under its name, and backs off on the
/// pipe's upload `PipeHealth` (0.5 s doubling to 60 s, full jitter; shown on the STATUS line) while uploads fail.
/// Never gives up while the daemon runs.
final class UploadService<C: Clock>: Service where C.Duration == Duration {
    /// Files taken per round.
    static var roundSize: Int { 64 }

    let context: DaemonContext
    let pipe: String
    let rules: [WatchRule]
    let uploaders: [StageUploader]
    let clock: C
    let logger: Logger

    init(context: DaemonContext, pipe: String, session: SessionClient, transport: any HTTPTransport, clock: C) {
        self.context = context
        self.pipe = pipe
        rules = context.configuration.watches.filter { $0.pipe == pipe && $0.upload != nil }
        let metrics = context.metrics
        uploaders = rules.map {
            StageUploader(
                session: session, transport: transport, settings: $0.upload!,
                spoolDirectory: context.configuration.stateDirectory, now: context.now,
                onCredentialRenewal: { metrics.stageCredentialsRenewed(pipe: pipe) })
        }
        self.clock = clock
        logger = context.logger(forPipe: pipe)
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    /// The uploader of the deepest rule whose directory holds `path`.
    private func uploader(for path: String) -> StageUploader? {
        rules.owner(of: path).map { uploaders[$0] }
    }

    /// Why a file found earlier can no longer be uploaded: no upload rule of its pipe watches its directory.
    static var noRuleReason: String {
        "no upload rule of its pipe watches its directory any more (the configuration changed after it was found); "
            + "it was never uploaded: put it in a watched directory again to load it"
    }

    private func loop() async {
        let health = context.uploadHealth[pipe]!
        var failing = false
        let loop = ServiceLoop(
            name: "uploader \(pipe)", heartbeats: context.heartbeats, wake: context.signals(pipe).pending,
            clock: clock, logger: logger)
        await loop.run { _ in
            // Backing off: wait (beating the heartbeat; a new file only makes the loop check again).
            if let notBefore = health.notBefore, notBefore > context.now().timeIntervalSince1970 {
                return .wait(.from(context.now(), until: notBefore))
            }
            let files = try await context.outbox.filesToStage(pipe: pipe, limit: Self.roundSize)
            if files.isEmpty { return .wait(context.heartbeats.interval) }
            guard let failed = await uploadRound(files) else {
                health.succeeded(now: context.now())
                if failing { try await context.outbox.setUploadProblem(pipe: pipe, nil, now: context.now()) }
                failing = false
                return .again
            }
            failing = true
            context.metrics.uploadFailed(pipe: pipe)
            try await context.outbox.setUploadProblem(pipe: pipe, failed, now: context.now())
            let until = health.backOff(
                reason: "uploads to the stage failing", now: context.now(), random: context.random())
            let delay = Duration.from(context.now(), until: until)
            logger.warning(
                Logger.Message(
                    stringLiteral:
                        "upload to the stage failed: \(failed); retrying in \(Int(delay.components.seconds)) s"))
            return .again
        }
    }

    /// Uploads `files` with bounded concurrency; the first failure's message, or nil when none failed.
    private func uploadRound(_ files: [FileRecord]) async -> String? {
        let concurrency = max(1, rules.map { $0.upload?.concurrency ?? 1 }.max() ?? 1)
        var failure: String?
        var stagedSinceSignal = 0
        let staged = context.signals(pipe).staged
        defer { if stagedSinceSignal > 0 { staged?.signal() } }
        await withTaskGroup(of: (FileRecord, StageUploader.Outcome).self) { group in
            var next = 0
            func start() {
                guard next < files.count else { return }
                let file = files[next]
                next += 1
                guard let uploader = uploader(for: file.localPath) else {
                    // Ended below like any rejection (skipping it would bring it back every round, at once).
                    group.addTask { (file, .rejected(Self.noRuleReason)) }
                    return
                }
                group.addTask { (file, await uploader.upload(file)) }
            }
            for _ in 0..<concurrency { start() }
            for await (file, outcome) in group {
                do {
                    switch outcome {
                    case .staged(let object, let reused):
                        try await context.outbox.recordStaged(object, now: context.now())
                        if reused == false { context.metrics.uploaded(pipe: pipe, bytes: file.size) }
                        stagedSinceSignal += 1
                        // The batcher is woken every 16 verified uploads and at the end of the round, not for each
                        // one: each wake costs it a count of the pipe's pending files.
                        if stagedSinceSignal >= 16 {
                            staged?.signal()
                            stagedSinceSignal = 0
                        }
                        logger.debug(
                            Logger.Message(
                                stringLiteral: "\(reused ? "found" : "uploaded") \(file.stagePath), verified"))
                    case .rejected(let reason):
                        for ended in try await context.outbox.rejectUpload(
                            fileID: file.id, reason: reason, now: context.now())
                        {
                            context.announce(ended)
                        }
                        context.actionWake.signal()
                    case .retry(let message, let code):
                        context.metrics.uploadRetry(pipe: pipe, code: code)
                        if failure == nil { failure = "\(file.localPath): \(message)" }
                    }
                } catch {
                    if failure == nil { failure = "\(error)" }
                }
                if failure == nil { start() }
            }
        }
        return failure
    }
}
