import Dispatch
import Glibc
import ServiceLifecycle
import Synchronization

/// Turns SIGTERM/SIGINT into a graceful shutdown from the first instruction of `run`, not only once the
/// `ServiceGroup` has set up its own handlers: a signal arriving in between would otherwise kill the process
/// with the default action (exit by signal instead of a drain). A signal before the group exists is
/// remembered and applied as soon as it is attached.
public final class SignalShutdown: Sendable {
    private struct State {
        var group: ServiceGroup?
        var requested = false
    }
    private let state = Mutex(State())
    private let onIgnored = Mutex<(@Sendable (Int32) -> Void)?>(nil)
    private nonisolated(unsafe) var sources: [any DispatchSourceSignal] = []

    /// Signals whose default action (terminate) would silently stop ingestion, since `Restart=on-failure` does
    /// not restart a service killed by SIGHUP: they are noted in the log and otherwise ignored. There is no
    /// configuration reload; a changed configuration is applied by a restart.
    public static let ignoredSignals: [Int32] = [SIGHUP, SIGUSR1, SIGUSR2]

    /// Ignores the default action of `signals` (a graceful drain) and of `ignoredSignals`, and SIGPIPE (a peer
    /// closing a socket is an error on the write, never a reason to die).
    public init(signals: [Int32] = [SIGTERM, SIGINT]) {
        signal(SIGPIPE, SIG_IGN)
        for number in signals + Self.ignoredSignals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let drains = signals.contains(number)
            source.setEventHandler { [weak self] in
                if drains { self?.fire() } else { self?.ignored(number) }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Says what to do when an ignored signal arrives (e.g. log it).
    public func whenIgnored(_ handler: @escaping @Sendable (Int32) -> Void) {
        onIgnored.withLock { $0 = handler }
    }

    private func ignored(_ number: Int32) {
        onIgnored.withLock { $0 }?(number)
    }

    /// Hands the running group over; shuts it down at once if a signal already arrived.
    public func attach(_ group: ServiceGroup) async {
        let requested = state.withLock { s -> Bool in
            s.group = group
            return s.requested
        }
        if requested { await group.triggerGracefulShutdown() }
    }

    private func fire() {
        let group = state.withLock { s -> ServiceGroup? in
            s.requested = true
            return s.group
        }
        if let group { Task { await group.triggerGracefulShutdown() } }
    }
}
