/// The continuation token a channel hands out: its client sequencer (bumped by every open, so a writer that
/// opened earlier is fenced off) and its row sequencer (bumped by every append, so each token is good for exactly
/// the next append). Opaque to clients; written `ct_<client>_<row>`.
struct ContinuationToken: Equatable, Sendable, CustomStringConvertible {
    var clientSequencer: Int64
    var rowSequencer: Int64

    var description: String { "ct_\(clientSequencer)_\(rowSequencer)" }

    init(clientSequencer: Int64, rowSequencer: Int64) {
        self.clientSequencer = clientSequencer
        self.rowSequencer = rowSequencer
    }

    /// Parses a token this service issued; nil for anything else.
    init?(_ text: String) {
        let parts = text.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "ct", let client = Int64(parts[1]), let row = Int64(parts[2]),
            client >= 0, row >= 0
        else { return nil }
        self.init(clientSequencer: client, rowSequencer: row)
    }
}
