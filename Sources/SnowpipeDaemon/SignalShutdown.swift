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
    private nonisolated(unsafe) var sources: [any DispatchSourceSignal] = []

    /// Ignores the default action of `signals` and listens for them.
    public init(signals: [Int32] = [SIGTERM, SIGINT]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.fire() }
            source.resume()
            sources.append(source)
        }
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
