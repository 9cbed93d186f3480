import Foundation

/// What one pipe remembers: load metadata (the 14-day dedup), the insertReport event ring and the
/// loadHistoryScan history. Pure state; the engine supplies `now`.
struct PipeState: Sendable {
    /// An insertReport event with its sequence number (what `beginMark` points into).
    struct Event: Sendable {
        var sequence: Int
        var entry: FileEntry
    }

    /// A history record; superseded when a later event for the same load replaces it.
    struct HistoryRecord: Sendable {
        var loadID: Int
        var entry: FileEntry
        var superseded = false
    }

    /// Path -> when the pipe received it.
    private(set) var received: [String: Date] = [:]
    /// The earliest date in `received` (nil when empty), so purging is a comparison until something expires.
    private var earliestReceipt: Date?
    private(set) var events: [Event] = []
    private(set) var nextSequence = 0
    /// Highest sequence number dropped from the ring, -1 when none.
    private(set) var droppedThrough = -1
    private var history: [HistoryRecord] = []
    private var historyOffset = 0
    private var historyPosition: [Int: Int] = [:]  // loadID -> absolute index
    private var scanCalls: [Date] = []
    private var lastStampMilliseconds: Int64 = 0
    private var stampsAtLastMillisecond = 0

    /// True when `path` was received within `window` seconds before `now`.
    func wasReceived(_ path: String, within window: TimeInterval, now: Date) -> Bool {
        guard let at = received[path] else { return false }
        return now.timeIntervalSince(at) < window
    }

    mutating func markReceived(_ path: String, at now: Date) {
        received[path] = now
        if earliestReceipt == nil || now < earliestReceipt! { earliestReceipt = now }
    }

    /// A timestamp for a new event: `now` to the millisecond, never earlier than the previous one, and at most
    /// `perMillisecond` events per millisecond (fewer than a history page holds), so paging loadHistoryScan on
    /// `rangeEndTime` always makes progress.
    mutating func stamp(_ now: Date, perMillisecond: Int = 1000) -> Date {
        var milliseconds = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        if milliseconds <= lastStampMilliseconds {
            milliseconds = lastStampMilliseconds
            if stampsAtLastMillisecond >= perMillisecond {
                milliseconds += 1
                stampsAtLastMillisecond = 0
            }
        } else {
            stampsAtLastMillisecond = 0
        }
        lastStampMilliseconds = milliseconds
        stampsAtLastMillisecond += 1
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// Appends an event for `loadID` to the ring and the history.
    mutating func record(_ entry: FileEntry, loadID: Int) {
        events.append(Event(sequence: nextSequence, entry: entry))
        nextSequence += 1
        if let position = historyPosition[loadID], position >= historyOffset {
            history[position - historyOffset].superseded = true
        }
        historyPosition[loadID] = historyOffset + history.count
        history.append(HistoryRecord(loadID: loadID, entry: entry))
    }

    /// Replays a remembered event with its original sequence number (at start, oldest first). Events before the
    /// first remembered one count as dropped, so an older begin mark gets `completeResult=false`.
    mutating func restore(_ entry: FileEntry, loadID: Int, sequence: Int) {
        if events.isEmpty { droppedThrough = max(droppedThrough, sequence - 1) }
        nextSequence = sequence
        record(entry, loadID: loadID)
        lastStampMilliseconds = max(lastStampMilliseconds, Timestamp.milliseconds(entry.lastInsertTime))
    }

    /// Restores the next sequence number after replaying events (events may all have aged out).
    mutating func restoreNextSequence(_ next: Int) {
        guard next > nextSequence else { return }
        if events.isEmpty { droppedThrough = max(droppedThrough, next - 1) }
        nextSequence = next
    }

    /// Forgets what has aged out: events past the ring's age or size, history past its retention, and
    /// load metadata past the dedup window.
    mutating func purge(now: Date, configuration: EmulatorConfiguration) {
        let oldestEvent = now.addingTimeInterval(-configuration.reportRetentionSeconds)
        var drop = 0
        while drop < events.count,
            events.count - drop > configuration.reportCapacity || events[drop].entry.lastInsertTime < oldestEvent
        {
            drop += 1
        }
        if drop > 0 {
            droppedThrough = events[drop - 1].sequence
            events.removeFirst(drop)
        }
        let oldestHistory = now.addingTimeInterval(-configuration.historyRetentionSeconds)
        var dropHistory = 0
        while dropHistory < history.count, history[dropHistory].entry.lastInsertTime < oldestHistory {
            dropHistory += 1
        }
        if dropHistory > 0 {
            for record in history[0..<dropHistory]
            where historyPosition[record.loadID] ?? -1 < historyOffset + dropHistory {
                historyPosition[record.loadID] = nil
            }
            history.removeFirst(dropHistory)
            historyOffset += dropHistory
        }
        let oldestReceipt = now.addingTimeInterval(-configuration.dedupWindowSeconds)
        if let earliest = earliestReceipt, earliest < oldestReceipt {
            received = received.filter { $0.value >= oldestReceipt }
            earliestReceipt = received.values.min()
        }
    }

    /// Events for insertReport: from `mark` (a sequence number; nil = the whole ring), within `recentSeconds`
    /// when given. `complete` is false when events between the mark and the first returned one were dropped.
    func report(from mark: Int?, recentSeconds: Double?, now: Date, limit: Int)
        -> (events: [Event], complete: Bool, next: Int)
    {
        let start = mark ?? 0
        let complete = mark == nil || droppedThrough < start
        var selected = events.filter { $0.sequence >= start }
        if let recentSeconds {
            let since = now.addingTimeInterval(-recentSeconds)
            selected = selected.filter { $0.entry.lastInsertTime >= since }
        }
        if selected.count > limit { selected = Array(selected.prefix(limit)) }
        let next = selected.last.map { $0.sequence + 1 } ?? max(start, nextSequence)
        return (selected, complete, next)
    }

    /// Current history entries with `lastInsertTime` in [start, end), oldest first, at most `limit`.
    /// Compared in whole milliseconds, the API's precision.
    func scan(start: Date, end: Date, limit: Int) -> (entries: [FileEntry], complete: Bool) {
        let first = Timestamp.milliseconds(start)
        let last = Timestamp.milliseconds(end)
        var lower = 0
        var upper = history.count
        while lower < upper {  // first record at or after `start`
            let middle = (lower + upper) / 2
            if Timestamp.milliseconds(history[middle].entry.lastInsertTime) < first {
                lower = middle + 1
            } else {
                upper = middle
            }
        }
        var entries: [FileEntry] = []
        var index = lower
        while index < history.count, Timestamp.milliseconds(history[index].entry.lastInsertTime) < last {
            if history[index].superseded == false {
                if entries.count == limit { return (entries, false) }
                entries.append(history[index].entry)
            }
            index += 1
        }
        return (entries, true)
    }

    /// Counts a loadHistoryScan call; false when the pipe is over its per-minute budget.
    mutating func admitScan(now: Date, perMinute: Int) -> Bool {
        guard perMinute > 0 else { return true }
        scanCalls.removeAll { now.timeIntervalSince($0) >= 60 }
        guard scanCalls.count < perMinute else { return false }
        scanCalls.append(now)
        return true
    }
}
