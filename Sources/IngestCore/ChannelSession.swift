/// What one session of a stream-mode channel knows between its open and its next reopen: the committed offset
/// token and the files with rows appended and not ended. It owns the session's rules, pure, so the stream sender
/// only reads, asks and acts:
/// - a file whose every row was consumed ends at once when none was sent (its rows were all refused before
///   sending) or the committed token already covers it; otherwise it waits for the commit;
/// - a status read whose code is not `SUCCESS` (or the reference's `ACTIVE`), or a channel that is gone, means the
///   rows in flight are lost: reopen and resume from the committed token (the Python SDK treats any code other than
///   `SUCCESS` as an invalid channel: `fidelity-facts.md`);
/// - the committed token never moves back (an older status answer arriving late changes nothing);
/// - a file abandoned part-way has in the table only the rows the committed token covers, and only when the token
///   points into it (earlier files have ended; later ones have nothing committed).
public struct ChannelSession: Sendable, Equatable {
    /// What a status read found.
    public enum Observed: Sendable, Equatable {
        /// The channel is not in the answer (dropped by someone).
        case missing
        /// Its status code and committed token (nil: nothing of ours committed).
        case status(code: String?, committed: StreamOffset?)
    }

    /// What a status read means.
    public enum Verdict: Sendable, Equatable {
        /// These files are wholly committed: they end now.
        case ended([Int64])
        /// The session is over (rows in flight are gone): reopen, for this reason.
        case reopen(String)
    }

    /// The committed token last seen (never moves back within the daemon's life of the channel).
    public private(set) var committed: StreamOffset?
    /// Files with rows appended in this session and not ended, by sequence.
    public private(set) var appended: [Int64: ChannelProgress.OpenFile] = [:]

    public init() {}

    /// Rows appended in this session wait for their commit.
    public var waiting: Bool { appended.isEmpty == false }

    /// The channel (re)opened with `committed`: a new session; judges the outbox's unfinished files of the channel.
    public mutating func opened(committed: StreamOffset?, files: [ChannelProgress.OpenFile]) -> ChannelProgress.Verdict
    {
        self.committed = committed
        appended = [:]
        return ChannelProgress.judge(committed: committed, files: files)
    }

    /// Rows of `file` (still being appended: `lastRow` nil) went out in this session.
    public mutating func appending(_ file: ChannelProgress.OpenFile) {
        appended[file.sequence] = file
    }

    /// Files whose every row was consumed, `lastRow` their last row sent (0: none sent). Returns those that end
    /// now; the others wait for their commit.
    public mutating func consumed(_ files: [ChannelProgress.OpenFile]) -> [Int64] {
        let covered = Set(ChannelProgress.ended(by: committed, files: files))
        var endNow: [Int64] = []
        for file in files {
            if file.lastRow == 0 || covered.contains(file.id) {
                appended[file.sequence] = nil
                endNow.append(file.id)
            } else {
                appended[file.sequence] = file
            }
        }
        return endNow
    }

    /// A status read.
    public mutating func observe(_ observed: Observed) -> Verdict {
        switch observed {
        case .missing:
            return .reopen("the channel no longer exists")
        case .status(let code, _) where code != nil && code != "SUCCESS" && code != "ACTIVE":
            return .reopen("the channel reports \(code!)")
        case .status(_, let newCommitted):
            if let newCommitted { committed = max(committed ?? newCommitted, newCommitted) }
            let ended = ChannelProgress.ended(by: committed, files: Array(appended.values))
            let endedIDs = Set(ended)
            appended = appended.filter { endedIDs.contains($0.value.id) == false }
            return .ended(ended)
        }
    }

    /// How many rows of the file with `sequence` are in the table: the committed token's row when it points into
    /// that file, else none.
    public func committedRows(ofFile sequence: Int64) -> Int64 {
        committed.map { $0.file == sequence ? $0.row : 0 } ?? 0
    }

    /// The session is over (a reopen comes): what was appended is forgotten, the committed token kept.
    public mutating func forget() {
        appended = [:]
    }
}
