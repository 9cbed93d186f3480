/// Whether a 400 from `insertFiles` is about a file or about the pipe, judged on evidence (DESIGN.md, "Every answer
/// is classified"). Snowflake answers 400 for a path it will not take, but also for the request as a whole and for
/// the pipe's own state (a `STOPPED_CLONED` pipe: `reference/protocol-notes.md` §4.2, `fidelity-facts.md`), and the
/// answer does not say which. So a refused batch of several files is split to find the file, but a one-file batch's
/// 400 ends that file only when the pipe accepted another `insertFiles` since the search began: proof that the pipe
/// takes requests and this file is what it refuses. Without that proof the pipe is at fault: it pauses on its
/// backoff and its next calls probe with other batches (the batcher prefers batches not yet tried), so a file that
/// really is refused still ends once a probe succeeds, and a pipe refusing everything never ends a good file.
///
/// A search is forgotten `window` seconds after its last 400, so an acceptance long ago is no evidence for a
/// refusal now. Pure: the caller passes the instant.
public struct RefusalEvidence: Sendable, Equatable {
    /// What a 400 on `insertFiles` means.
    public enum Verdict: Sendable, Equatable {
        /// Several files: split the batch to find the one refused.
        case split
        /// One file, and the pipe accepted other files meanwhile: this file is refused.
        case fileRefused
        /// No evidence against a file: the pipe (its state, its grants, the request) is refused.
        case pipeRefused
    }

    /// Default time a search stays open after its last 400 (seconds).
    public static let defaultWindow = 600.0

    /// How long a search stays open after its last 400 (seconds).
    public let window: Double
    /// The last 400 of the open search (nil: no search).
    public private(set) var lastRefusal: Double?
    /// The pipe accepted an `insertFiles` since the open search began.
    public private(set) var acceptedSinceRefusal = false
    /// A one-file 400 found no evidence: every 400 is the pipe's until the pipe accepts a request again.
    public private(set) var pipeSuspected = false

    public init(window: Double = defaultWindow) {
        self.window = window
    }

    /// Judges a 400 for a batch of `files` files at `now`.
    public mutating func refused(files: Int, now: Double) -> Verdict {
        // A new search (none open, or the last one older than the window) starts with no evidence.
        if lastRefusal.map({ now - $0 > window }) ?? true { acceptedSinceRefusal = false }
        lastRefusal = now
        if pipeSuspected { return .pipeRefused }
        if files > 1 { return .split }
        if acceptedSinceRefusal { return .fileRefused }
        pipeSuspected = true
        return .pipeRefused
    }

    /// The pipe accepted an `insertFiles` (a 2xx) at `now`.
    public mutating func accepted(now: Double) {
        pipeSuspected = false
        if let last = lastRefusal, now - last > window {
            lastRefusal = nil
            acceptedSinceRefusal = false
        } else if lastRefusal != nil {
            acceptedSinceRefusal = true
        }
    }
}
