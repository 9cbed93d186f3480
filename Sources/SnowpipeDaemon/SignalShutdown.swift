import Dispatch
import Glibc
import ServiceLifecycle
import Synchronization

/// Turns SIGTERM/SIGINT into a graceful shutdown from the first instruction of `run`, not only once the
/// `ServiceGroup` has set up its own handlers: a signal arriving in between would otherwise kill the process
/// with the default action (exit by signal instead of a drain). A signal before the group exists is
/// remembered and applied as soon as it is attached. SIGHUP asks for a configuration reload: when the daemon's
/// handler accepts the new configuration, the running group is drained (not stopped: `stopRequested` stays
/// false) and the daemon starts the next one.
public final class SignalShutdown: Sendable {
    private struct State {
        var group: ServiceGroup?
        var requested = false
    }
    private let state = Mutex(State())
    private let onIgnored = Mutex<(@Sendable (Int32) -> Void)?>(nil)
    private let onReload = Mutex<(@Sendable () -> Bool)?>(nil)
    private nonisolated(unsafe) var sources: [any DispatchSourceSignal] = []

    /// Signals whose default action (terminate) would silently stop ingestion, since `Restart=on-failure` does
    /// not restart a service killed by them: they are noted in the log and otherwise ignored.
    public static let ignoredSignals: [Int32] = [SIGUSR1, SIGUSR2]

    /// Ignores the default action of `signals` (a graceful drain), of SIGHUP (a reload) and of `ignoredSignals`,
    /// and SIGPIPE (a peer closing a socket is an error on the write, never a reason to die).
    public init(signals: [Int32] = [SIGTERM, SIGINT]) {
        signal(SIGPIPE, SIG_IGN)
        for number in signals + [SIGHUP] + Self.ignoredSignals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let drains = signals.contains(number)
            source.setEventHandler { [weak self] in
                if drains {
                    self?.fire()
                } else if number == SIGHUP {
                    self?.reload()
                } else {
                    self?.ignored(number)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Says what to do when an ignored signal arrives (e.g. log it); SIGHUP too while no reload handler is set.
    public func whenIgnored(_ handler: @escaping @Sendable (Int32) -> Void) {
        onIgnored.withLock { $0 = handler }
    }

    /// Sets what SIGHUP does: the handler validates the new configuration and returns true to drain the running
    /// group for it. Nil: SIGHUP is ignored (logged).
    public func whenReloadRequested(_ handler: (@Sendable () -> Bool)?) {
        onReload.withLock { $0 = handler }
    }

    /// True once SIGTERM/SIGINT arrived: the daemon ends after the drain, whatever else was asked.
    public var stopRequested: Bool { state.withLock { $0.requested } }

    private func ignored(_ number: Int32) {
        onIgnored.withLock { $0 }?(number)
    }

    private func reload() {
        guard let handler = onReload.withLock({ $0 }) else { return ignored(SIGHUP) }
        // Between two groups, the daemon sees the accepted reload itself once the next group is attached.
        guard handler(), let group = state.withLock({ $0.group }) else { return }
        Task { await group.triggerGracefulShutdown() }
    }

    /// Hands the running group over; shuts it down at once if a signal already arrived.
    public func attach(_ group: ServiceGroup) async {
        let requested = state.withLock { s -> Bool in
            s.group = group
            return s.requested
        }
        if requested { await group.triggerGracefulShutdown() }
    }

    /// The group has ended: a reload arriving now applies to the next one.
    public func detach() {
        state.withLock { $0.group = nil }
    }

    private func fire() {
        let group = state.withLock { s -> ServiceGroup? in
            s.requested = true
            return s.group
        }
        if let group { Task { await group.triggerGracefulShutdown() } }
    }
}
