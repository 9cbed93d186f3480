import Codecs
import Foundation
import IngestCore
import Outbox

/// The rows of one streamed file not sent yet: the file read (and gunzipped) block by block, positioned after its
/// committed rows, and what it has given to the chunk being built.
struct FileCursor: Sendable {
    let file: StreamedFile
    /// The first row to send (1 + the committed row when resuming).
    let fromRow: Int64
    var reader: StreamRowReader?
    private var source: StreamFileSource?
    /// The reader has given every row of the blocks read so far: `readMore()`, then `fill` again.
    private(set) var needsInput = false
    /// Why the file stopped being read part-way (it changed, or cannot be read any more): its remaining rows
    /// are not sent, and this is said as its last refusal.
    private var cut: String?
    /// A row that did not fit the previous chunk.
    private var held: StreamRowReader.Row?
    /// Every row was consumed.
    private(set) var exhausted = false
    /// Rows refused before sending (the whole file's, the skipped part included).
    private(set) var refused: Int64 = 0
    private(set) var firstError: String?
    /// The last row consumed (sent or refused).
    private(set) var lastConsumedRow: Int64
    /// The last row covered by a chunk that was appended (the committed row when resuming).
    private(set) var lastSentRow: Int64
    /// Rows consumed into the chunk being built, and the last of them.
    private(set) var consumedInChunk = 0
    private var chunkLastRow: Int64 = 0

    init(file: StreamedFile, fromRow: Int64) {
        self.file = file
        self.fromRow = fromRow
        lastConsumedRow = fromRow - 1
        lastSentRow = fromRow - 1
    }

    /// Opens the file (off the cooperative pool) and skips its committed rows; returns why it cannot be read.
    mutating func load(compression: StreamSettings.InputCompression, format: StreamRowReader.Format) async -> String? {
        let record = file.file
        let opened = await BlockingWork.run { StreamFileSource.open(record, compression: compression) }
        let source: StreamFileSource
        switch opened {
        case .failure(let problem): return problem.message
        case .success(let value): source = value
        }
        var reader = StreamRowReader(format: format)
        // Skip the committed rows (counting the refused ones among them: the file's count is recounted whole).
        var skipped: Int64 = 0
        while skipped < fromRow - 1 {
            if let row = reader.next() {
                if case .failure(let error) = row.result { refuse(row.number, error) }
                skipped = row.number
                continue
            }
            guard reader.finished == false else { break }
            switch await BlockingWork.run({ source.read() }) {
            case .failure(let problem): return problem.message
            case .success(let block?): reader.append(block)
            case .success(nil): reader.finish()
            }
        }
        if skipped < fromRow - 1 {
            return "the file has \(skipped) row(s) now but \(fromRow - 1) were committed: it changed"
        }
        self.source = source
        self.reader = reader
        return nil
    }

    /// Adds rows to `chunk` until the file ends or the chunk is full, reading the file's blocks as they are needed
    /// (off the cooperative pool).
    mutating func fill(_ chunk: inout Chunk, limit: Int) async {
        fillFromBlocksRead(&chunk, limit: limit)
        while needsInput {
            await readMore()
            fillFromBlocksRead(&chunk, limit: limit)
        }
    }

    /// Gives the reader the file's next block, or its end. A file that cannot be read further is cut there.
    private mutating func readMore() async {
        needsInput = false
        guard let source, var reader else { return }
        defer { self.reader = reader }
        switch await BlockingWork.run({ source.read() }) {
        case .success(let block?): reader.append(block)
        case .success(nil): reader.finish()
        case .failure(let problem): cut = problem.message
        }
    }

    /// Adds rows to `chunk` until the file ends, the chunk is full, or the blocks read so far are used up
    /// (`needsInput`).
    private mutating func fillFromBlocksRead(_ chunk: inout Chunk, limit: Int) {
        guard var reader else { return }
        defer { self.reader = reader }
        while true {
            guard let row = held ?? reader.next() else {
                if let cut {
                    // Counted as one refused row, so the rows sent and the rows counted agree.
                    lastConsumedRow += 1
                    refuse(lastConsumedRow, .init(message: "\(cut); the rows from this one on were not sent"))
                    exhausted = true
                } else if reader.finished {
                    exhausted = true
                } else {
                    needsInput = true
                }
                return
            }
            held = nil
            switch row.result {
            case .failure(let error):
                refuse(row.number, error)
            case .success(let text):
                if chunk.rows > 0, chunk.payload.count + text.count + 1 > limit {
                    held = row
                    chunk.full = true
                    return
                }
                chunk.payload += text
                chunk.payload.append(UInt8(ascii: "\n"))
                chunk.rows += 1
            }
            lastConsumedRow = row.number
            consumedInChunk += 1
            chunkLastRow = row.number
            chunk.token = StreamOffset(file: file.sequence, row: row.number)
            if chunk.firstToken == nil { chunk.firstToken = chunk.token }
        }
    }

    /// The chunk carrying this file's consumed rows was appended.
    mutating func chunkSent() {
        if consumedInChunk > 0 { lastSentRow = chunkLastRow }
        consumedInChunk = 0
    }

    private mutating func refuse(_ number: Int64, _ error: StreamRowReader.RowError) {
        refused += 1
        if firstError == nil { firstError = "row \(number): \(error.message)" }
    }
}

/// The rows of one append being built.
struct Chunk: Sendable {
    var payload: [UInt8] = []
    var rows = 0
    /// The offset token of the last row consumed into it (sent or refused).
    var token: StreamOffset?
    /// The offset token of the first row consumed into it (the append's `startOffsetToken`).
    var firstToken: StreamOffset?
    var full = false
}
