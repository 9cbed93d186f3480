import Foundation
import Logging
import ServiceLifecycle
import Systemd

/// Talks to systemd while the daemon runs: `WATCHDOG=1` at half the watchdog interval, but only while
/// every pipeline loop has beaten within the interval (a stuck loop gets the daemon restarted), a fresh
/// `STATUS=` line, and `STOPPING=1` when shutdown begins. Does nothing when not run by systemd.
final class SystemdService<C: Clock>: Service where C.Duration == Duration {
    /// How often STATUS is refreshed when there is no watchdog.
    static var statusInterval: Duration { .seconds(5) }

    let context: DaemonContext
    let notifier: any ServiceNotifying
    let clock: C
    /// True when the daemon itself is stopping, false when only this configuration's services are drained for a
    /// reload: `STOPPING=1` during a reload would make systemd wait for an exit that never comes, then kill it.
    let daemonStopping: @Sendable () -> Bool

    init(
        context: DaemonContext, notifier: any ServiceNotifying = ServiceNotifier(), clock: C,
        daemonStopping: @escaping @Sendable () -> Bool = { true }
    ) {
        self.context = context
        self.notifier = notifier
        self.clock = clock
        self.daemonStopping = daemonStopping
    }

    func run() async throws {
        guard notifier.isActive else {
            // Not under systemd: nothing to do, but a service that returns would stop the group.
            try? await gracefulShutdown()
            return
        }
        let watchdog = notifier.watchdogInterval
        let tick = watchdog.map { min($0 / 2, Self.statusInterval) } ?? Self.statusInterval
        await cancelWhenGracefulShutdown {
            var reportedStale: [String] = []
            while Task.isCancelled == false {
                if let watchdog {
                    let stale = self.context.heartbeats.stale(limit: watchdog)
                    if stale.isEmpty {
                        self.notifier.watchdog()
                    } else if stale != reportedStale {
                        self.context.logger.critical(
                            "pipeline loop(s) stuck: \(stale.joined(separator: ", ")); withholding the watchdog ping so systemd restarts the daemon"
                        )
                    }
                    reportedStale = stale
                }
                self.notifier.status(await self.context.statusLine())
                try? await self.clock.sleep(for: tick)
            }
        }
        if daemonStopping() {
            notifier.stopping(status: "stopping: finishing in-flight work (all state is durable)")
        } else {
            notifier.status("reloading the configuration: finishing in-flight work (all state is durable)")
        }
    }
}
