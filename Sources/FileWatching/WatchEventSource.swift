/// One watched tree: a rule's directory, whether its subdirectories are watched, and which names it takes.
public struct WatchRoot: Sendable, Equatable {
    public var path: String
    public var recursive: Bool
    public var filter: GlobFilter

    public init(path: String, recursive: Bool, filter: GlobFilter) {
        self.path = path
        self.recursive = recursive
        self.filter = filter
    }
}

/// Where the watcher service gets file-system events: `InotifyWatcher` in the daemon, a scripted source in the
/// tests that run the watcher on a manual clock. The source never waits for its consumer (batches go into an
/// unbounded stream) and reports its own problems as events.
public protocol WatchEventSource: Sendable {
    /// Batches of events, in order; finished by `stop()`.
    var events: AsyncStream<[WatchEvent]> { get }
    /// Starts delivering events.
    func start()
    /// Stops delivering and finishes `events`.
    func stop()
    /// Starts watching root `index` (its tree when recursive); returns the directories now watched, which the
    /// caller scans for files that arrived before the watch.
    @discardableResult func arm(root index: Int) -> [String]
}

/// Makes the event source for a set of roots (indices follow the array).
public typealias WatchEventSourceFactory = @Sendable ([WatchRoot]) throws -> any WatchEventSource
