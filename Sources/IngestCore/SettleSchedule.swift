/// Which discovered files are settled, and when to look again: a file closed after writing or found by a scan
/// is taken only once it has kept the same size and modification time for its quiet period. A later change
/// (another close, a scan that sees it grow) restarts the wait. Pure: the caller stats the files and passes
/// the current instant (seconds).
public struct SettleSchedule: Sendable {
    /// A file waiting to be quiet.
    public struct Candidate: Sendable, Equatable {
        public var size: Int64
        public var mtimeNanoseconds: Int64
        /// When it is settled if nothing changes.
        public var due: Double
    }

    /// A candidate whose quiet period has passed, to be stat'ed and judged.
    public struct DueFile: Sendable, Equatable {
        public var path: String
        /// What it was when its wait began.
        public var candidate: Candidate
    }

    /// What to do with a candidate whose quiet period has passed.
    public enum Verdict: Sendable, Equatable {
        /// Unchanged since it was seen: record it.
        case settled
        /// Changed: it waits again (until the returned instant).
        case waitsAgain(until: Double)
    }

    private var candidates: [String: Candidate] = [:]
    /// Every (due, path) ever observed, as a binary min-heap on `due`: a burst of closed files waits here by the
    /// ten thousand, and the watcher asks for the next deadline on every wake-up, so neither that nor taking
    /// the due files may walk all of them. An entry whose path was forgotten or observed again is stale; the top
    /// is never stale (each mutation drops stale entries that reach it), so `nextDeadline` is exact.
    private var heap: [(due: Double, path: String)] = []

    public init() {}

    /// How many files are waiting.
    public var count: Int { candidates.count }

    /// True when `path` is waiting.
    public func contains(_ path: String) -> Bool { candidates[path] != nil }

    /// The earliest instant a candidate becomes due, if any.
    public var nextDeadline: Double? { heap.first?.due }

    /// Starts (or restarts) the wait of `path`, seen with this size and mtime at `now`.
    public mutating func observe(_ path: String, size: Int64, mtimeNanoseconds: Int64, now: Double, quiet: Double) {
        candidates[path] = Candidate(size: size, mtimeNanoseconds: mtimeNanoseconds, due: now + quiet)
        push((now + quiet, path))
        dropStaleTop()
    }

    /// A file renamed into the directory: complete, so it is taken at once (true), except an empty regular file,
    /// which is almost always a placeholder about to be written (`touch`, or a tool that creates the name first):
    /// it waits its quiet period like a closed file (false).
    public mutating func observeMovedIn(
        _ path: String, size: Int64, mtimeNanoseconds: Int64, isRegular: Bool, now: Double, quiet: Double
    ) -> Bool {
        forget(path)
        guard size == 0, isRegular else { return true }
        observe(path, size: size, mtimeNanoseconds: mtimeNanoseconds, now: now, quiet: quiet)
        return false
    }

    /// A file found by a scan: taken at once (true) when it has been quiet for `quiet` seconds since its
    /// modification time, or when its name can never be submitted (not UTF-8: rejected whatever its content);
    /// otherwise it waits out the rest of its quiet period, counted from its modification time (false).
    public mutating func observeScanned(
        _ path: String, size: Int64, mtimeNanoseconds: Int64, unsubmittableName: Bool, now: Double, quiet: Double
    ) -> Bool {
        let modified = Double(mtimeNanoseconds) / 1e9
        if unsubmittableName || now - modified >= quiet { return true }
        observe(path, size: size, mtimeNanoseconds: mtimeNanoseconds, now: modified, quiet: quiet)
        return false
    }

    /// Forgets `path` (it was recorded another way, e.g. renamed in, or it is gone).
    public mutating func forget(_ path: String) {
        candidates[path] = nil
        dropStaleTop()
    }

    /// Removes and returns the candidates due at `now`.
    public mutating func takeDue(now: Double) -> [DueFile] {
        var due: [DueFile] = []
        while let top = heap.first, top.due <= now {
            popTop()
            guard let candidate = candidates[top.path], candidate.due == top.due else { continue }
            candidates[top.path] = nil
            due.append(DueFile(path: top.path, candidate: candidate))
        }
        dropStaleTop()
        return due
    }

    private mutating func dropStaleTop() {
        while let top = heap.first, candidates[top.path]?.due != top.due { popTop() }
    }

    private mutating func push(_ entry: (due: Double, path: String)) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].due < heap[parent].due else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popTop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].due < heap[smallest].due { smallest = left }
            if right < heap.count, heap[right].due < heap[smallest].due { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }

    /// Judges a due candidate against what the file is now: settled when unchanged, otherwise it waits again.
    public mutating func judge(
        _ path: String, was candidate: Candidate, size: Int64, mtimeNanoseconds: Int64, now: Double, quiet: Double
    ) -> Verdict {
        if size == candidate.size, mtimeNanoseconds == candidate.mtimeNanoseconds { return .settled }
        observe(path, size: size, mtimeNanoseconds: mtimeNanoseconds, now: now, quiet: quiet)
        return .waitsAgain(until: now + quiet)
    }
}
