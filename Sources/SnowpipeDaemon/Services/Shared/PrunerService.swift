import Foundation
import IngestCore
import Logging
import Outbox
import ServiceLifecycle

/// Deletes finished rows older than the retention period, except rows whose file is still where it was,
/// unchanged (a kept file): forgetting those would make the next scan submit the file again.
final class PrunerService<C: Clock>: Service where C.Duration == Duration {
    /// How often pruning runs.
    static var interval: Duration { .seconds(3600) }

    let context: DaemonContext
    let clock: C
    /// Rows read per page (a test makes it small to page past kept files with a few hundred rows).
    let pageSize: Int

    init(context: DaemonContext, clock: C, pageSize: Int = PrunePager.defaultPageSize) {
        self.context = context
        self.clock = clock
        self.pageSize = pageSize
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while Task.isCancelled == false {
                await self.pruneOnce()
                try? await self.clock.sleep(for: Self.interval)
            }
        }
    }

    /// One pruning pass; returns how many rows were deleted.
    @discardableResult
    func pruneOnce() async -> Int {
        let cutoff = context.now().addingTimeInterval(-context.configuration.retention.finishedDays * 86_400)
        var deleted = 0
        do {
            var pager = PrunePager(pageSize: pageSize)
            while pager.done == false {
                let candidates = try await context.outbox.finished(
                    before: cutoff, after: pager.after, limit: pager.pageSize)
                pager.read(candidates.map(\.id))
                let removable = candidates.filter { file in
                    guard let version = FileVersion(path: file.localPath) else { return true }
                    return version.matches(file) == false
                }
                try await context.outbox.delete(ids: removable.map(\.id))
                deleted += removable.count
            }
        } catch {
            if Task.isCancelled == false { context.logger.error("pruning the outbox failed: \(error)") }
        }
        if deleted > 0 { context.logger.info("pruned \(deleted) finished row(s) from the outbox") }
        return deleted
    }
}
