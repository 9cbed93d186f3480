/// When a stream-mode channel driver opens its channel, appends, reads the channel status or waits: the
/// channel's schedule and its backoff, pure (the caller passes the instant in seconds and a uniform random number).
///
/// Rules:
/// - nothing is opened while there is nothing to send or to wait for;
/// - rows are appended while fewer than `maximumUncommittedFiles` files wait for their commit (a bound on what a
///   reopen replays and on memory);
/// - while appended rows wait for their commit, the status is read every `pollInterval` (and never otherwise);
/// - a failure decides what follows (`failed`): a stale continuation token (400), a 409 or an unknown channel
///   reopens the channel at once; a 401 renews the scoped token; 408, 429, 5xx and lost answers back off with
///   jitter (after a failed append the channel is reopened then, and sending resumes from its committed offset
///   token); a 404 for the pipe pauses it; any other 4xx on an append refuses the rows it carried.
public struct ChannelPlanner: Sendable, Equatable {
    /// What to do now.
    public enum Action: Sendable, Equatable {
        /// Open (or reopen) the channel, then judge the open files against its committed token.
        case open
        /// Append the next chunk.
        case append
        /// Read the channel status.
        case poll
        /// Nothing is due before this instant.
        case wait(until: Double)
        /// Nothing to do until new files arrive.
        case idle
    }

    /// What a failed call leads to.
    public enum Failure: Sendable, Equatable {
        /// The channel must be reopened (before anything else; rows after the committed token are resent).
        case reopen
        /// Mint a fresh scoped token and repeat the call at once.
        case renewToken
        /// Repeat the call at this instant.
        case retry(at: Double)
        /// The pipe is unknown or not granted: nothing before this instant.
        case paused(until: Double)
        /// The server refused the rows of this append for good (a 4xx other than the above).
        case refuseRows
    }

    public let pollInterval: Double
    public let maximumUncommittedFiles: Int
    /// The channel's backoff (the same rules and numbers as a pipe's).
    public private(set) var backoff: PipeBackoff
    /// True once an open succeeded and nothing since required a reopen.
    public private(set) var isOpen = false
    /// When the status is read next while rows wait for their commit.
    public private(set) var nextPoll: Double?

    public init(pollInterval: Double, maximumUncommittedFiles: Int = 64, policy: RetryPolicy = RetryPolicy()) {
        self.pollInterval = pollInterval
        self.maximumUncommittedFiles = maximumUncommittedFiles
        backoff = PipeBackoff(policy: policy)
    }

    /// The next action at `now`.
    /// - Parameters:
    ///   - rowsToAppend: a file has rows not appended yet.
    ///   - uncommittedFiles: files with rows appended and not committed.
    public func next(now: Double, rowsToAppend: Bool, uncommittedFiles: Int) -> Action {
        if let notBefore = backoff.notBefore, notBefore > now { return .wait(until: notBefore) }
        let canAppend = rowsToAppend && uncommittedFiles < maximumUncommittedFiles
        guard isOpen else { return rowsToAppend || uncommittedFiles > 0 ? .open : .idle }
        if canAppend { return .append }
        guard uncommittedFiles > 0 else { return .idle }
        if let nextPoll, nextPoll > now { return .wait(until: nextPoll) }
        return .poll
    }

    /// The channel opened.
    public mutating func opened(now: Double) {
        isOpen = true
        nextPoll = now + pollInterval
        _ = backoff.record(.success, now: now, random: 0)
    }

    /// A chunk was appended.
    public mutating func appended(now: Double) {
        _ = backoff.record(.success, now: now, random: 0)
        if nextPoll == nil { nextPoll = now + pollInterval }
    }

    /// The status was read; `waiting` says whether appended rows still wait for their commit.
    public mutating func polled(now: Double, waiting: Bool) {
        _ = backoff.record(.success, now: now, random: 0)
        nextPoll = waiting ? now + pollInterval : nil
    }

    /// Records a failed call and decides what follows. A failed append always closes the channel: its rows (and
    /// any appended after the committed token) are resent after a reopen, from the committed offset token, so a
    /// retry can neither skip rows nor repeat committed ones.
    /// - Parameters:
    ///   - code: the `code` of the `{"code","message"}` error body, if any.
    ///   - appending: the call was an append.
    ///   - tokenRenewed: the client already renewed the scoped token for this call.
    public mutating func failed(
        _ outcome: AttemptOutcome, code: String?, appending: Bool, tokenRenewed: Bool = false, now: Double,
        random: Double, reason: @autoclosure () -> String
    ) -> Failure {
        if case .status(let status, _) = outcome {
            switch status {
            case 400 where code == "STALE_CONTINUATION_TOKEN_SEQUENCER", 409:
                isOpen = false
                return .reopen
            case 404 where code?.contains("CHANNEL") == true:
                isOpen = false
                return .reopen
            case 400, 413, 415, 422:
                if appending {
                    isOpen = false
                    return .refuseRows
                }
            default:
                break
            }
        }
        if appending { isOpen = false }
        switch backoff.record(outcome, tokenRenewed: tokenRenewed, now: now, random: random, reason: reason()) {
        case .renewTokenAndRetry: return .renewToken
        case .paused(let until): return .paused(until: until)
        case .retry(let at), .refused(let at): return .retry(at: at)
        case .done, .splitBatch, .rejectFile: return .retry(at: now)
        }
    }

    /// The channel must be opened again before anything else (it disappeared, or the driver lost track).
    public mutating func closed() {
        isOpen = false
        nextPoll = nil
    }
}
