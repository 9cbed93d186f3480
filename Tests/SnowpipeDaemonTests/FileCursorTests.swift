import Codecs
import Foundation
import IngestCore
import Outbox
import TestSupport
import Testing

@testable import SnowpipeDaemon

@Suite("Stream mode: a file cursor resumes after the committed rows and fills chunks within their limit")
struct FileCursorTests {
    let directory = TemporaryDirectory("cursor")

    /// A streamed file record for `text` written to disk now.
    func streamed(_ text: String, sequence: Int64 = 7) throws -> StreamedFile {
        try streamed(bytes: Array(text.utf8), sequence: sequence)
    }

    /// A streamed file record for `bytes` written to disk now.
    func streamed(bytes: [UInt8], sequence: Int64 = 7) throws -> StreamedFile {
        let path = directory.path + "/f.json"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var info = stat()
        stat(path, &info)
        let mtime = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        let record = FileRecord(
            id: 1, pipe: "DB.S.P", localPath: path, stagePath: "f.json", size: Int64(info.st_size),
            mtimeNanoseconds: mtime, state: .submitted, discoveredAt: Date(), finishedAt: nil, detail: nil)
        return StreamedFile(file: record, sequence: sequence, lastRow: nil, rowsRejected: 0, firstError: nil)
    }

    let text = (1...5).map { #"{"ID":\#($0)}"# }.joined(separator: "\n") + "\n"

    @Test func aResumedCursorSendsOnlyTheRowsAfterTheCommittedOne() async throws {
        var cursor = FileCursor(file: try streamed(text), fromRow: 4)
        #expect(await cursor.load(compression: .none, format: .ndjson) == nil)
        var chunk = Chunk()
        await cursor.fill(&chunk, limit: 1 << 20)
        #expect(String(decoding: chunk.payload, as: UTF8.self) == #"{"ID":4}"# + "\n" + #"{"ID":5}"# + "\n")
        #expect(chunk.token == StreamOffset(file: 7, row: 5))
        #expect(cursor.exhausted)
        cursor.chunkSent()
        #expect(cursor.lastSentRow == 5)
    }

    @Test func aCursorFromTheStartFillsChunksUpToTheLimitAndHoldsTheRowThatDidNotFit() async throws {
        var cursor = FileCursor(file: try streamed(text), fromRow: 1)
        #expect(await cursor.load(compression: .none, format: .ndjson) == nil)
        var first = Chunk()
        await cursor.fill(&first, limit: 20)  // two 9-byte rows and their newlines
        #expect(first.rows == 2)
        #expect(first.full)
        #expect(first.token == StreamOffset(file: 7, row: 2))
        cursor.chunkSent()
        var second = Chunk()
        await cursor.fill(&second, limit: 1 << 20)
        #expect(second.rows == 3)
        #expect(second.token == StreamOffset(file: 7, row: 5))
    }

    @Test func refusedRowsInTheCommittedPartAreStillCounted() async throws {
        let withBad = #"{"ID":1}"# + "\nnot json\n" + #"{"ID":3}"# + "\n"
        var cursor = FileCursor(file: try streamed(withBad), fromRow: 3)
        #expect(await cursor.load(compression: .none, format: .ndjson) == nil)
        var chunk = Chunk()
        await cursor.fill(&chunk, limit: 1 << 20)
        #expect(chunk.rows == 1)
        #expect(cursor.refused == 1)
        #expect(cursor.firstError?.contains("row 2") == true)
    }

    /// 3.9 MB of NDJSON, rows of varying length, so lines straddle the 1 MiB blocks.
    static let big =
        (1...60_000).map { #"{"ID":\#($0),"PAD":"\#(String(repeating: "x", count: $0 % 97))"}"# }
        .joined(separator: "\n") + "\n"

    /// Every row of a cursor, chunk after chunk; their IDs.
    func ids(_ cursor: inout FileCursor) async -> [Int] {
        var ids: [Int] = []
        while cursor.exhausted == false {
            var chunk = Chunk()
            await cursor.fill(&chunk, limit: 256 * 1024)
            cursor.chunkSent()
            for line in String(decoding: chunk.payload, as: UTF8.self).split(separator: "\n") {
                ids.append(Int(line.split(separator: ":")[1].split(separator: ",")[0])!)
            }
        }
        return ids
    }

    @Test func aFileOfManyBlocksGivesEveryRowOnceInOrderPlainOrGzipped() async throws {
        for bytes in [Array(Self.big.utf8), Gzip.compress(Array(Self.big.utf8))] {
            var cursor = FileCursor(file: try streamed(bytes: bytes), fromRow: 1)
            #expect(await cursor.load(compression: .auto, format: .ndjson) == nil)
            #expect(await ids(&cursor) == Array(1...60_000))
            #expect(cursor.refused == 0 && cursor.lastSentRow == 60_000)
        }
    }

    @Test func aResumeDeepInALargeFileSkipsTheCommittedRowsAcrossBlocks() async throws {
        var cursor = FileCursor(file: try streamed(Self.big), fromRow: 45_001)
        #expect(await cursor.load(compression: .none, format: .ndjson) == nil)
        #expect(await ids(&cursor) == Array(45_001...60_000))
    }

    @Test func aCorruptGzipSendsNothingAndSaysSo() async throws {
        var bytes = Gzip.compress(Array(Self.big.utf8))
        bytes[bytes.count / 2] ^= 0xFF
        var cursor = FileCursor(file: try streamed(bytes: bytes), fromRow: 1)
        let problem = await cursor.load(compression: .auto, format: .ndjson)
        #expect(problem?.contains("not valid gzip") == true, "\(problem ?? "no problem")")
    }

    @Test func aFileRewrittenInPlaceWhileReadIsCutWithTheReasonAndNothingAfterIt() async throws {
        var cursor = FileCursor(file: try streamed(Self.big), fromRow: 1)
        #expect(await cursor.load(compression: .none, format: .ndjson) == nil)
        var first = Chunk()
        await cursor.fill(&first, limit: 256 * 1024)
        cursor.chunkSent()
        let sent = cursor.lastSentRow
        #expect(sent > 0 && first.full)
        // Rewritten in place (same inode): the next block's version check sees it.
        let handle = try #require(FileHandle(forWritingAtPath: cursor.file.file.localPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"ID\":0}\n".utf8))
        try handle.close()
        var rest: [Int] = []
        while cursor.exhausted == false {
            var chunk = Chunk()
            await cursor.fill(&chunk, limit: 256 * 1024)
            cursor.chunkSent()
            rest += String(decoding: chunk.payload, as: UTF8.self).split(separator: "\n").map { _ in 0 }
        }
        #expect(sent + Int64(rest.count) < 60_000, "the rows after the change were not sent")
        #expect(cursor.refused == 1)
        #expect(
            cursor.firstError?.contains("the file changed while its rows were read") == true,
            "\(cursor.firstError ?? "")")
        #expect(cursor.lastConsumedRow == cursor.lastSentRow + 1, "the cut counts as one refused row")
    }

    @Test func aFileChangedSinceItWasTakenIsNotSent() async throws {
        let file = try streamed(text)
        try (text + #"{"ID":6}"# + "\n").write(toFile: file.file.localPath, atomically: true, encoding: .utf8)
        var cursor = FileCursor(file: file, fromRow: 1)
        let problem = await cursor.load(compression: .none, format: .ndjson)
        #expect(problem?.contains("changed") == true)
    }
}
