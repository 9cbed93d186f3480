import Codecs
import Foundation
import IngestCore
import Outbox

/// The rows of one streamed file not sent yet: the file read (and gunzipped) once, positioned after its committed
/// rows, and what it has given to the chunk being built.
struct FileCursor: Sendable {
    let file: StreamedFile
    /// The first row to send (1 + the committed row when resuming).
    let fromRow: Int64
    var reader: StreamRowReader?
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

    /// Reads the file (off the cooperative pool) and skips its committed rows; returns why it cannot be read.
    mutating func load(compression: StreamSettings.InputCompression, format: StreamRowReader.Format) async -> String? {
        let record = file.file
        let result: Result<[UInt8], ReadProblem> = await BlockingWork.run {
            Self.read(record, compression: compression)
        }
        switch result {
        case .failure(let problem):
            return problem.message
        case .success(let bytes):
            var reader = StreamRowReader(bytes: bytes, format: format)
            // Skip the committed rows (counting the refused ones among them: the file's count is recounted whole).
            var skipped: Int64 = 0
            while skipped < fromRow - 1, let row = reader.next() {
                if case .failure(let error) = row.result { refuse(row.number, error) }
                skipped = row.number
            }
            if skipped < fromRow - 1 {
                return "the file has \(skipped) row(s) now but \(fromRow - 1) were committed: it changed"
            }
            self.reader = reader
            return nil
        }
    }

    /// Adds rows to `chunk` until the file ends or the chunk is full.
    mutating func fill(_ chunk: inout Chunk, limit: Int) {
        guard var reader else { return }
        defer { self.reader = reader }
        while true {
            guard let row = held ?? reader.next() else {
                exhausted = true
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

    struct ReadProblem: Error {
        let message: String
    }

    /// The file's content, if it is still the version recorded (size and modification time: `FileVersion`, as
    /// the after-load actions check it).
    static func read(_ record: FileRecord, compression: StreamSettings.InputCompression)
        -> Result<[UInt8], ReadProblem>
    {
        let path = record.localPath
        guard let version = FileVersion(path: path) else {
            return .failure(
                ReadProblem(
                    message: "the file disappeared before all its rows were sent (\(String(cString: strerror(errno))))")
            )
        }
        guard version.matches(record) else {
            return .failure(
                ReadProblem(
                    message: "the file changed before all its rows were sent; put new rows in a new file "
                        + "(its rows already committed stay in the table)"))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(ReadProblem(message: "the file cannot be read: check that the service user may read it"))
        }
        let bytes = [UInt8](data)
        let gzipped = compression == .gzip || (compression == .auto && Gzip.isGzip(bytes))
        guard gzipped else { return .success(bytes) }
        do {
            return .success(try Gzip.decompress(bytes))
        } catch {
            return .failure(ReadProblem(message: "the file is not valid gzip: \(error.message)"))
        }
    }
}

/// The rows of one append being built.
struct Chunk: Sendable {
    var payload: [UInt8] = []
    var rows = 0
    /// The offset token of the last row consumed into it (sent or refused).
    var token: StreamOffset?
    var full = false
}
