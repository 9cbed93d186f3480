/// The watcher's timetable, beside `SettleSchedule`: which watched roots are missing and when to look for them
/// again, when the periodic full scan is due, and the degraded mode after the inotify watch limit was reached.
/// Pure: the watcher reports what happened and asks what is due at the current instant (seconds).
///
/// Rules:
/// - a missing or lost root is looked for every `rootRetry` seconds until it is back (then rescanned);
/// - a periodic full scan runs every `periodicScan` seconds (0: never), inotify being only a hint;
/// - once the watch limit is reached, directories without a watch are covered by a full scan every
///   `degradedScan` seconds, whatever `periodicScan` says;
/// - each condition is announced once (the return values say when), not at every wake-up.
public struct WatchSchedule: Sendable, Equatable {
    /// Look for a missing root this often.
    public static let defaultRootRetry: Double = 2
    /// Scan this often while some directories have no watch.
    public static let defaultDegradedScan: Double = 30

    public let periodicScan: Double
    public let rootRetry: Double
    public let degradedScan: Double
    /// Indices of the roots that are missing.
    public private(set) var lost: Set<Int> = []
    /// The watch limit was reached: some directories are only scanned.
    public private(set) var degraded = false
    public private(set) var nextFullScan: Double
    public private(set) var nextRootRetry: Double

    /// What is due at an instant.
    public struct Due: Sendable, Equatable {
        /// Look for the lost roots (`lost`) and re-arm those that are back.
        public var lookForLostRoots = false
        /// Scan every watched root.
        public var fullScan = false

        public init(lookForLostRoots: Bool = false, fullScan: Bool = false) {
            self.lookForLostRoots = lookForLostRoots
            self.fullScan = fullScan
        }
    }

    public init(
        periodicScan: Double, now: Double, rootRetry: Double = defaultRootRetry,
        degradedScan: Double = defaultDegradedScan
    ) {
        self.periodicScan = max(0, periodicScan)
        self.rootRetry = rootRetry
        self.degradedScan = degradedScan
        nextFullScan = periodicScan > 0 ? now + max(periodicScan, 1) : .infinity
        nextRootRetry = now + rootRetry
    }

    /// Root `index` is missing or was lost. Returns true when it was not known to be (announce it).
    public mutating func rootLost(_ index: Int) -> Bool { lost.insert(index).inserted }

    /// Root `index` is back and watched again.
    public mutating func rootRearmed(_ index: Int) { lost.remove(index) }

    /// The inotify watch limit was reached at `now`. Returns true the first time (announce it).
    public mutating func watchLimitReached(now: Double) -> Bool {
        defer { degraded = true }
        nextFullScan = min(nextFullScan, now + degradedScan)
        return degraded == false
    }

    /// Takes what is due at `now`, and schedules the next occurrence of each.
    public mutating func due(now: Double) -> Due {
        var due = Due()
        if lost.isEmpty == false, now >= nextRootRetry {
            due.lookForLostRoots = true
            nextRootRetry = now + rootRetry
        }
        if scansPeriodically, now >= nextFullScan {
            due.fullScan = true
            nextFullScan = now + max(degraded ? degradedScan : periodicScan, 1)
        }
        return due
    }

    /// The next instant something is due, with `settling` (the next settle deadline) and `heartbeat`
    /// (the latest the watcher may sleep) taken into account.
    public func nextDeadline(settling: Double?, heartbeat: Double) -> Double {
        var deadline = heartbeat
        if let settling { deadline = min(deadline, settling) }
        if scansPeriodically { deadline = min(deadline, nextFullScan) }
        if lost.isEmpty == false { deadline = min(deadline, nextRootRetry) }
        return deadline
    }

    private var scansPeriodically: Bool { periodicScan > 0 || degraded }
}
