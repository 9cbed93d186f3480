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
        let path = directory.path + "/f.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
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
        cursor.fill(&chunk, limit: 1 << 20)
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
        cursor.fill(&first, limit: 20)  // two 9-byte rows and their newlines
        #expect(first.rows == 2)
        #expect(first.full)
        #expect(first.token == StreamOffset(file: 7, row: 2))
        cursor.chunkSent()
        var second = Chunk()
        cursor.fill(&second, limit: 1 << 20)
        #expect(second.rows == 3)
        #expect(second.token == StreamOffset(file: 7, row: 5))
    }

    @Test func refusedRowsInTheCommittedPartAreStillCounted() async throws {
        let withBad = #"{"ID":1}"# + "\nnot json\n" + #"{"ID":3}"# + "\n"
        var cursor = FileCursor(file: try streamed(withBad), fromRow: 3)
        #expect(await cursor.load(compression: .none, format: .ndjson) == nil)
        var chunk = Chunk()
        cursor.fill(&chunk, limit: 1 << 20)
        #expect(chunk.rows == 1)
        #expect(cursor.refused == 1)
        #expect(cursor.firstError?.contains("row 2") == true)
    }

    @Test func aFileChangedSinceItWasTakenIsNotSent() async throws {
        let file = try streamed(text)
        try (text + #"{"ID":6}"# + "\n").write(toFile: file.file.localPath, atomically: true, encoding: .utf8)
        var cursor = FileCursor(file: file, fromRow: 1)
        let problem = await cursor.load(compression: .none, format: .ndjson)
        #expect(problem?.contains("changed") == true)
    }
}
