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

    /// What to do with a candidate whose quiet period has passed.
    public enum Verdict: Sendable, Equatable {
        /// Unchanged since it was seen: record it.
        case settled
        /// Changed: it waits again (until the returned instant).
        case waitsAgain(until: Double)
    }

    private var candidates: [String: Candidate] = [:]

    public init() {}

    /// How many files are waiting.
    public var count: Int { candidates.count }

    /// True when `path` is waiting.
    public func contains(_ path: String) -> Bool { candidates[path] != nil }

    /// The earliest instant a candidate becomes due, if any.
    public var nextDeadline: Double? { candidates.values.map(\.due).min() }

    /// Starts (or restarts) the wait of `path`, seen with this size and mtime at `now`.
    public mutating func observe(_ path: String, size: Int64, mtimeNanoseconds: Int64, now: Double, quiet: Double) {
        candidates[path] = Candidate(size: size, mtimeNanoseconds: mtimeNanoseconds, due: now + quiet)
    }

    /// Forgets `path` (it was recorded another way, e.g. renamed in, or it is gone).
    public mutating func forget(_ path: String) { candidates[path] = nil }

    /// Removes and returns the candidates due at `now`.
    public mutating func takeDue(now: Double) -> [(path: String, candidate: Candidate)] {
        let due = candidates.filter { $0.value.due <= now }
        for path in due.keys { candidates[path] = nil }
        return due.map { ($0.key, $0.value) }
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
