/// Which streamed files a channel's committed offset token ends, and where a (re)opened channel resumes: the
/// exactly-once rule of stream mode, pure.
///
/// A file is appended in order, chunk by chunk, each chunk's offset token naming its last row
/// (`StreamOffset`), and no chunk of a later file is appended before every chunk of the earlier one. So with the
/// committed token at (file f, row r):
/// - a file with a lower sequence number is wholly committed;
/// - file f is wholly committed when r reaches its last row, else rows r+1… are still to append;
/// - a file with a higher sequence number has nothing committed: all its rows are still to append.
/// Rows appended after the committed token are lost when the channel is reopened (the server discards them), so
/// a reopen always resumes from the committed token, never from what was appended.
public enum ChannelProgress {
    /// A streamed file that is not finished yet.
    public struct OpenFile: Sendable, Equatable {
        /// The outbox row.
        public var id: Int64
        /// Its sequence number in the channel.
        public var sequence: Int64
        /// Its last row, once every chunk was appended (nil while appending).
        public var lastRow: Int64?

        public init(id: Int64, sequence: Int64, lastRow: Int64?) {
            self.id = id
            self.sequence = sequence
            self.lastRow = lastRow
        }
    }

    /// What the committed token means for the open files.
    public struct Verdict: Sendable, Equatable {
        /// Files whose every row is committed: they end now.
        public var committed: [Int64] = []
        /// Files still to (re)append, in sequence order, each from the first row not committed.
        public var resume: [Resume] = []
    }

    /// A file to append from `fromRow` (1-based).
    public struct Resume: Sendable, Equatable {
        public var id: Int64
        public var sequence: Int64
        public var fromRow: Int64

        public init(id: Int64, sequence: Int64, fromRow: Int64) {
            self.id = id
            self.sequence = sequence
            self.fromRow = fromRow
        }
    }

    /// Judges `files` against the channel's committed token (nil: nothing of ours was ever committed).
    public static func judge(committed: StreamOffset?, files: [OpenFile]) -> Verdict {
        var verdict = Verdict()
        for file in files.sorted(by: { $0.sequence < $1.sequence }) {
            guard let committed else {
                verdict.resume.append(Resume(id: file.id, sequence: file.sequence, fromRow: 1))
                continue
            }
            if file.sequence < committed.file {
                verdict.committed.append(file.id)
            } else if file.sequence == committed.file {
                if let last = file.lastRow, committed.row >= last {
                    verdict.committed.append(file.id)
                } else {
                    verdict.resume.append(Resume(id: file.id, sequence: file.sequence, fromRow: committed.row + 1))
                }
            } else {
                verdict.resume.append(Resume(id: file.id, sequence: file.sequence, fromRow: 1))
            }
        }
        return verdict
    }

    /// The files that end when the committed token moves to `committed`: only wholly appended ones can.
    public static func ended(by committed: StreamOffset?, files: [OpenFile]) -> [Int64] {
        guard let committed else { return [] }
        return files.filter { file in
            guard let last = file.lastRow else { return false }
            return StreamOffset(file: file.sequence, row: last) <= committed
        }.map(\.id)
    }
}
