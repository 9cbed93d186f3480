import Foundation

/// A file waiting to be loaded (or, for a large file reported `LOAD_IN_PROGRESS`, waiting to finish).
struct LoadJob: Sendable {
    var id: Int
    var pipe: String
    var path: String
    var receivedAt: Date
    var due: Date
    /// Set for the second phase of a large file: the outcome computed in the first phase.
    var finishing: LoadOutcome?
}
