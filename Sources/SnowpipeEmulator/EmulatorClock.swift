import Foundation
import Synchronization

/// The emulator's notion of "now": the system clock, or a manual clock that only moves when told to.
///
/// Everything time-based (10-minute report retention, 14-day dedup and history, load delays, JWT age) reads
/// this clock, so tests can cross those windows without waiting.
public final class EmulatorClock: Sendable {
    private struct State {
        var frozenAt: Date?
        var offset: TimeInterval = 0
    }
    private let state: Mutex<State>

    /// A clock following the system time.
    public init() {
        state = Mutex(State())
    }

    /// A manual clock starting at `start`.
    public init(manualStart start: Date) {
        state = Mutex(State(frozenAt: start))
    }

    /// The current emulator time.
    public func now() -> Date {
        state.withLock { s in s.frozenAt ?? Date().addingTimeInterval(s.offset) }
    }

    /// True when the clock moves only through `advance`/`set`.
    public var isManual: Bool { state.withLock { $0.frozenAt != nil } }

    /// Moves the clock forward (for the system clock: adds an offset).
    public func advance(by seconds: TimeInterval) {
        state.withLock { s in
            if let frozen = s.frozenAt {
                s.frozenAt = frozen.addingTimeInterval(seconds)
            } else {
                s.offset += seconds
            }
        }
    }

    /// Freezes the clock at `date` (switching it to manual).
    public func set(_ date: Date) {
        state.withLock { $0.frozenAt = date }
    }

    /// Follows the system clock again, exactly (no offset).
    public func followSystemTime() {
        state.withLock { $0 = State() }
    }

    /// Lets the clock run again from where it stands.
    public func resume() {
        state.withLock { s in
            if let frozen = s.frozenAt {
                s.offset = frozen.timeIntervalSinceNow
                s.frozenAt = nil
            }
        }
    }
}
