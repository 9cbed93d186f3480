import Foundation
import Glibc
import IngestCore
import Logging
import Outbox
import ServiceLifecycle

/// Runs the after-load / after-failure actions of finished files (keep, delete, move, quarantine with an
/// error sidecar), after their status was committed and logged. Crash-safe: a row keeps `action_pending`
/// until its action is done, and every action is idempotent (it acts only on the exact file version the row
/// describes, and a missing file means the action already happened).
final class ActionService<C: Clock>: Service where C.Duration == Duration {
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
        let loop = ServiceLoop(
            name: "actions", heartbeats: context.heartbeats, wake: context.actionWake, clock: clock,
            logger: context.logger)
        await loop.run { _ in
            let due = try await context.outbox.pendingActions(limit: 1000)
            if due.isEmpty { return .wait(context.heartbeats.interval) }
            // Deletes, renames and cross-filesystem copies block: off the cooperative pool.
            await BlockingWork.run {
                for file in due { self.perform(file) }
            }
            try await context.outbox.actionDone(ids: due.map(\.id))
            return .again
        }
    }

    func perform(_ file: FileRecord) {
        guard let rule = context.rule(for: file) else { return }
        guard let current = FileVersion(path: file.localPath), current.matches(file) else { return }
        if file.state == .loaded {
            switch rule.afterLoad {
            case .keep: return
            case .delete:
                if unlink(file.localPath) != 0 {
                    context.logger.error(
                        "cannot delete \(file.localPath) after load: \(String(cString: strerror(errno)))")
                }
            case .move(let directory):
                move(file, under: rule, to: directory, sidecar: nil)
            }
        } else if case .quarantine(let directory) = rule.afterFailure {
            move(file, under: rule, to: directory, sidecar: sidecar(for: file))
        }
    }

    private func move(_ file: FileRecord, under rule: WatchRule, to directory: String, sidecar: Data?) {
        let relative = String(file.localPath.dropFirst(rule.directory.count + 1))
        var target = directory + "/" + relative
        do {
            try FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if FileManager.default.fileExists(atPath: target) {
                target += ".\(file.id)"
            }
            if let sidecar {
                try sidecar.write(to: URL(fileURLWithPath: target + ".error.json"), options: .atomic)
            }
            if rename(file.localPath, target) != 0 {
                let reason = String(cString: strerror(errno))
                if errno == EXDEV {
                    try FileManager.default.copyItem(atPath: file.localPath, toPath: target)
                    unlink(file.localPath)
                } else {
                    context.logger.error("cannot move \(file.localPath) to \(target): \(reason)")
                }
            }
        } catch {
            context.logger.error("cannot move \(file.localPath) to \(target): \(error)")
        }
    }

    /// The `<name>.error.json` written next to a quarantined file.
    func sidecar(for file: FileRecord) -> Data {
        var object = file.jsonObject
        object["status"] = file.state.rawValue
        return (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }
}
