/// When a stream-mode channel driver opens its channel, appends, reads the channel status or waits: the
/// channel's schedule and its backoff, pure (the caller passes the instant in seconds and a uniform random number).
///
/// Rules:
/// - nothing is opened while there is nothing to send or to wait for;
/// - rows are appended while fewer than `maximumUncommittedFiles` files wait for their commit (a bound on what a
///   reopen replays and on memory);
/// - while appended rows wait for their commit, the status is read every `pollInterval` (and never otherwise);
/// - a failure decides what follows (`failed`), and never ends a file: rows are checked before they are sent, so a
///   refused append is the channel's state, not its rows'. The official SDK (snowpipe-streaming 1.9.1,
///   `reference/fidelity-facts.md`) invalidates the channel on any non-retryable 400 or 409 on an append and
///   knows no row-level HTTP refusal; `STALE_CONTINUATION_TOKEN_SEQUENCER` (the API page's example) is not even
///   in it. So any 4xx on an append other than 401/403/408/429 and a 404 naming the pipe, and a 404 naming the
///   channel on any call, reopen the channel after the backoff (sending resumes from its committed offset token);
///   a 409 on open (`ERR_OPEN_CHANNEL_IN_PROGRESS`, `ERR_CHANNEL_HAS_UNCOMMITTED_DATA`) retries the open after
///   the backoff, as the SDK's `open_channel_` retry policy does; a 401 renews the scoped token; 408, 429, 5xx
///   and lost answers back off with jitter (a failed append is resent after a reopen); a 404 for the pipe and a
///   403 pause it.
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
        /// The channel must be reopened, not before this instant (before anything else; rows after the committed
        /// token are resent).
        case reopen(at: Double)
        /// Mint a fresh scoped token and repeat the call at once.
        case renewToken
        /// Repeat the call at this instant.
        case retry(at: Double)
        /// The pipe is unknown or not granted: nothing before this instant.
        case paused(until: Double)
    }

    /// The 4xx answers to an append that do not invalidate the channel: authentication (401), grants (403), the
    /// pipe unknown (404 without a channel code), and the retryable 408 and 429.
    static let notChannelLevel: Set<Int> = [401, 403, 404, 408, 429]

    public let pollInterval: Double
    public let maximumUncommittedFiles: Int
    /// The channel's backoff (the same rules and numbers as a pipe's).
    public private(set) var backoff: PipeBackoff
    /// True once an open succeeded and nothing since required a reopen.
    public private(set) var isOpen = false
    /// When the status is read next while rows wait for their commit.
    public private(set) var nextPoll: Double?
    /// The channel was closed with files of it in flight (a failure, or a start with files an earlier run sent):
    /// it is reopened once its backoff allows, even if no new file arrives, since only a reopen can tell how far
    /// its files were committed.
    public private(set) var reopenDue = false

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
        guard isOpen else { return rowsToAppend || uncommittedFiles > 0 || reopenDue ? .open : .idle }
        if canAppend { return .append }
        guard uncommittedFiles > 0 else { return .idle }
        if let nextPoll, nextPoll > now { return .wait(until: nextPoll) }
        return .poll
    }

    /// The channel opened. The backoff is not reset: a channel that opens but refuses every append must keep
    /// backing off, not reopen at full speed; the next accepted append or status read resets it.
    public mutating func opened(now: Double) {
        isOpen = true
        reopenDue = false
        nextPoll = now + pollInterval
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
    ///   - opening: the call opened the channel.
    ///   - tokenRenewed: the client already renewed the scoped token for this call.
    public mutating func failed(
        _ outcome: AttemptOutcome, code: String?, appending: Bool, opening: Bool = false, tokenRenewed: Bool = false,
        now: Double, random: Double, reason: @autoclosure () -> String
    ) -> Failure {
        if appending || opening { close() }
        if case .status(let status, _) = outcome {
            let namesChannel = code?.uppercased().contains("CHANNEL") == true
            if status == 409, opening {
                return .retry(at: backoff.backOff(now: now, random: random, reason: reason()))
            }
            let appendRefused =
                appending && (400..<500).contains(status) && Self.notChannelLevel.contains(status) == false
            let channelRefused = appendRefused || (status == 404 && namesChannel) || status == 409
            if channelRefused {
                close()
                return .reopen(at: backoff.backOff(now: now, random: random, reason: reason()))
            }
        }
        switch backoff.record(outcome, tokenRenewed: tokenRenewed, now: now, random: random, reason: reason()) {
        case .renewTokenAndRetry: return .renewToken
        case .paused(let until): return .paused(until: until)
        case .retry(let at), .refused(let at), .pipeRefused(let at): return .retry(at: at)
        case .done, .splitBatch, .rejectFile: return .retry(at: now)
        }
    }

    /// The channel must be opened again before anything else (it disappeared, the driver lost track, or files an
    /// earlier run sent wait for their commit): it is reopened even when nothing new arrives.
    public mutating func closed() {
        close()
    }

    private mutating func close() {
        isOpen = false
        nextPoll = nil
        reopenDue = true
    }
}
