/// The offset token snowpiped gives each append to a Snowpipe Streaming channel: the file's sequence number in
/// the channel and the number of the last row the append carries, both zero-padded so that tokens order
/// lexicographically as they order numerically (`000000000042:000000001000` is file 42 through row 1000).
///
/// The channel's `last_committed_offset_token` is therefore exactly "every row up to this file and row is in the
/// table", which is all a restart needs to resume without appending a committed row twice or skipping one.
public struct StreamOffset: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Digits per part: room for 10^12 files and rows.
    static let width = 12

    /// The file's sequence number in its channel (1, 2, …), given before its first append.
    public var file: Int64
    /// The last row (1-based, counting the file's data rows) the append carries.
    public var row: Int64

    public init(file: Int64, row: Int64) {
        self.file = file
        self.row = row
    }

    /// Parses a token this daemon made; nil for anything else (a token someone else set on the channel).
    public init?(_ token: String) {
        let parts = token.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == Self.width && $0.allSatisfy(\.isASCII) }),
            let file = Int64(parts[0]), let row = Int64(parts[1]), file >= 0, row >= 0
        else { return nil }
        self.init(file: file, row: row)
    }

    public var description: String { Self.padded(file) + ":" + Self.padded(row) }

    public static func < (lhs: StreamOffset, rhs: StreamOffset) -> Bool {
        (lhs.file, lhs.row) < (rhs.file, rhs.row)
    }

    private static func padded(_ value: Int64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
