import Foundation
import IngestCore
import Logging
import Outbox
import ServiceLifecycle
import Synchronization

/// Keeps `snowpiped status` told of what only the running daemon knows, and says when a file waits too long:
/// every few seconds it stores each pipe's last successful call and current backoff in the outbox (only when they
/// changed) and the number of files settling (the watcher's, which `status` counts beside the outbox's), and logs
/// once, at warning with the file's fields, any file unfinished `warn_after_minutes` after its discovery.
final class HealthService<C: Clock>: Service where C.Duration == Duration {
    /// How often the health is stored and the oldest files looked at.
    static var interval: Duration { .seconds(5) }

    let context: DaemonContext
    let clock: C

    init(context: DaemonContext, clock: C) {
        self.context = context
        self.clock = clock
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    private func loop() async {
        var stored: [String: PipeHealthRecord] = [:]
        var storedSettling: Int? = nil
        var warned = Set<Int64>()
        let loop = ServiceLoop(
            name: "health", heartbeats: context.heartbeats, wake: nil, clock: clock, logger: context.logger)
        await loop.run { _ in
            let changed = records().filter { stored[$0.pipe] != $0 }
            if changed.isEmpty == false {
                try await context.outbox.recordHealth(changed)
                for record in changed { stored[record.pipe] = record }
            }
            let settling = context.settling.withLock { $0 }
            if settling != storedSettling {
                try await context.outbox.recordSettling(settling, now: context.now())
                storedSettling = settling
            }
            try await warnAboutOldFiles(&warned)
            return .wait(Self.interval)
        }
    }

    /// Each pipe's health now: its last success, and the backoff of its calls or, failing that, of its uploads.
    private func records() -> [PipeHealthRecord] {
        let now = context.now().timeIntervalSince1970
        return context.health.values.map { health in
            var until = health.notBefore.flatMap { $0 > now ? $0 : nil }
            var reason = until == nil ? nil : health.waitingFor
            if until == nil, let uploads = context.uploadHealth[health.pipe], let next = uploads.notBefore, next > now {
                until = next
                reason = uploads.waitingFor.map { "uploads: \($0)" }
            }
            return PipeHealthRecord(
                pipe: health.pipe, lastSuccessAt: health.lastSuccessAt,
                backoffUntil: until.map(Date.init(timeIntervalSince1970:)), backoffReason: reason)
        }
    }

    /// Logs, once per file, each pipe's oldest file when it has waited longer than the threshold.
    private func warnAboutOldFiles(_ warned: inout Set<Int64>) async throws {
        let threshold = context.configuration.reporter.warnAfterMinutes * 60
        let now = context.now()
        for pipe in context.configuration.pipes + context.followedPipes {
            guard let file = try await context.outbox.oldestUnfinishedFile(pipe: pipe),
                now.timeIntervalSince(file.discoveredAt) > threshold, warned.insert(file.id).inserted
            else { continue }
            if warned.count > 10_000 { warned = [file.id] }
            let waited = now.timeIntervalSince(file.discoveredAt)
            let age = waited < 120 ? "\(Int(waited)) s" : "\(Int(waited / 60)) min"
            let what =
                file.state == .pending
                ? "not accepted by Snowflake yet"
                : "accepted by Snowflake, no final status yet"
            var logger = context.logger(forPipe: pipe)
            logger[metadataKey: FileOutcomeLog.Key.path] = "\(file.localPath)"
            logger.warning(
                Logger.Message(
                    stringLiteral:
                        "\(file.localPath) has waited \(age) (\(what)): the oldest unfinished file of \(pipe); "
                        + "`snowpiped status` says what the pipe waits for (reporter.warn_after_minutes)"))
        }
    }
}
