import Synchronization

/// A stand-in for the clock in retry loops: `sleep` returns at once and records how long it was asked to
/// wait, so tests assert backoff without waiting. The total is the virtual time that passed.
public final class VirtualSleeper: Sendable {
    private let recorded = Mutex<[Duration]>([])

    public init() {}

    /// Pass as `Retrying.sleep`.
    public var sleep: @Sendable (Duration) async throws -> Void {
        { [self] duration in self.record(duration) }
    }

    private func record(_ duration: Duration) {
        recorded.withLock { $0.append(duration) }
    }

    /// Every wait asked for, in order.
    public var waits: [Duration] { recorded.withLock { $0 } }

    /// The virtual time spent waiting.
    public var total: Duration { waits.reduce(.zero, +) }
}

/// A thread-safe counter for callbacks.
public final class Counter: Sendable {
    private let count = Mutex(0)
    public init() {}
    public func increment() { count.withLock { $0 += 1 } }
    public var value: Int { count.withLock { $0 } }
}
