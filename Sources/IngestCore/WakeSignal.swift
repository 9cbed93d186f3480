import Synchronization

/// A coalescing wake-up between stages: `signal()` wakes the waiter, or the next `wait` if none waits. Several
/// signals while nobody waits count as one. Stages never call each other; this only saves latency.
public final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiter, or remembers the signal.
    public func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let waiter = s.waiter {
                s.waiter = nil
                return waiter
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns when signalled (true), when `timeout` passes on `clock` (false), or when the task is cancelled.
    @discardableResult
    public func wait<C: Clock>(timeout: Duration, clock: C) async -> Bool where C.Duration == Duration {
        guard timeout > .zero else { return takePending() }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.waitForSignal()
                return true
            }
            group.addTask {
                try? await clock.sleep(for: timeout)
                return false
            }
            let signalled = await group.next() ?? false
            group.cancelAll()
            return signalled
        }
    }

    /// Returns when signalled, or when `timeout` passes on the continuous clock.
    @discardableResult
    public func wait(timeout: Duration) async -> Bool {
        await wait(timeout: timeout, clock: ContinuousClock())
    }

    /// Returns when signalled or when the task is cancelled.
    public func wait() async { await waitForSignal() }

    /// Consumes a remembered signal without waiting.
    private func takePending() -> Bool {
        state.withLock { s in
            defer { s.pending = false }
            return s.pending
        }
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.pending || Task.isCancelled {
                        s.pending = false
                        return true
                    }
                    if let previous = s.waiter {
                        // Only one waiter is supported; release the older one.
                        s.waiter = nil
                        previous.resume()
                    }
                    s.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }
}
