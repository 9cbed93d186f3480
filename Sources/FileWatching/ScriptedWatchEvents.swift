import Synchronization

/// A `WatchEventSource` driven by hand: `emit` hands the watcher service a batch as inotify would, and `arm` only
/// records which roots were armed (the service's scans still read the real directories). The tests run the watcher
/// on a manual clock with it, and the benchmark's replay feeds it a fixed stream of events.
public final class ScriptedWatchEvents: WatchEventSource {
    public let events: AsyncStream<[WatchEvent]>
    private let continuation: AsyncStream<[WatchEvent]>.Continuation
    private let armed = Mutex<[Int]>([])

    public init() {
        (events, continuation) = AsyncStream.makeStream(of: [WatchEvent].self, bufferingPolicy: .unbounded)
    }

    /// The factory the watcher service takes; every call returns this source.
    public var factory: WatchEventSourceFactory {
        { [self] _ in self }
    }

    /// Every `arm(root:)` call, in order.
    public var armedRoots: [Int] { armed.withLock { $0 } }

    /// Delivers one batch of events.
    public func emit(_ batch: [WatchEvent]) { continuation.yield(batch) }

    public func start() {}

    public func stop() { continuation.finish() }

    @discardableResult
    public func arm(root index: Int) -> [String] {
        armed.withLock { $0.append(index) }
        return []
    }
}
