/// When a pipe's pending files become an insertFiles call. Pure: the batcher tells it how many files are
/// pending (after each wake-up or send) and the current instant; it answers "send now", "wake me at T" or
/// "nothing to do".
///
/// Rules:
/// - a full batch (`maxFiles` pending) goes at once, even in the middle of a linger;
/// - otherwise the files wait `linger` seconds from the moment the first of them was seen, then go together;
/// - after a full batch the rest has waited already and goes at once; after a partial one, files that arrived
///   during the call start a linger of their own, so a steady trickle is sent as one call per linger period,
///   never as one normal call followed by a tiny one;
/// - a batch already formed (an attempt failed, or a crash left it unsent) goes as soon as the backoff allows:
///   its files lingered before it was formed.
public struct BatchPlanner: Sendable, Equatable {
    /// What the batcher does next.
    public enum Action: Sendable, Equatable {
        /// Take up to `maxFiles` pending files (or the batch already formed) and send them.
        case send
        /// Nothing to send before this instant, unless more files arrive.
        case wait(until: Double)
        /// Nothing pending: wait for a wake-up.
        case idle
    }

    /// At most this many files a call (≤ `SnowpipeLimits.maximumFilesPerCall`).
    public let maxFiles: Int
    /// Seconds to wait after the first pending file for more to join it.
    public let linger: Double
    /// When the files now pending started waiting (nil: none pending, or not seen yet).
    public private(set) var waitingSince: Double?
    /// The next call goes without a linger: a formed batch awaits (re)sending, or the rest of a backlog.
    public private(set) var skipsLinger = false

    public init(maxFiles: Int, linger: Double) {
        precondition(maxFiles >= 1 && maxFiles <= SnowpipeLimits.maximumFilesPerCall, "maxFiles out of range")
        self.maxFiles = maxFiles
        self.linger = max(0, linger)
    }

    /// The next action, `pending` files waiting at `now`.
    public mutating func plan(pending: Int, now: Double) -> Action {
        guard pending > 0 else {
            waitingSince = nil
            skipsLinger = false
            return .idle
        }
        let since = waitingSince ?? now
        waitingSince = since
        if skipsLinger || pending >= maxFiles || now >= since + linger { return .send }
        return .wait(until: since + linger)
    }

    /// A call of `count` files was answered (or its files were rejected): plan the rest.
    public mutating func sent(count: Int) {
        // The rest of a full batch was already waiting; after a partial one only newcomers are left.
        skipsLinger = count >= maxFiles
        if count < maxFiles { waitingSince = nil }
    }

    /// A batch is formed and unsent: its attempt failed (it is resent as is) or a 400 split it in two. Its files
    /// lingered before it was formed, so it goes as soon as the backoff allows.
    public mutating func batchFormed() {
        skipsLinger = true
    }
}
