import Codecs
import Foundation
import IngestCore
import Outbox
import SnowflakeAuth
import StageStorage
import TestSupport
import Testing

@testable import SnowpipeDaemon

@Suite("Upload preparation: large files are gzipped through a spool file and sent part by part, never held whole")
struct PreparedUploadTests {
    let directory = TemporaryDirectory("prepared")

    /// 3,066,332 bytes of text whose gzip (level 6, MTIME 0) Python's zlib digests to the golden value below.
    static let text = Array((0..<200_000).map { "row \($0),\($0 * $0 % 9973)\n" }.joined().utf8)
    static let golden = "f20b120057fb366591210def7ad8356ae64b5a5550664941905644c3d109b024"

    /// A file record for `bytes` written to disk now.
    func record(_ bytes: [UInt8], name: String) throws -> FileRecord {
        let path = directory.path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let version = try #require(FileVersion(path: path))
        return FileRecord(
            id: 1, pipe: "DB.S.P", localPath: path, stagePath: name, size: version.size,
            mtimeNanoseconds: version.mtimeNanoseconds, state: .pending, discoveredAt: Date(), finishedAt: nil,
            detail: nil)
    }

    /// Six copies of `text`: 18 MB, above the in-memory limit.
    static let big: [UInt8] = {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count * 6)
        for _ in 0..<6 { bytes += text }
        return bytes
    }()

    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func gzipInPiecesIsTheSameStreamAsGzipAtOnceAndAsPythonsZlib() {
        var generator = SystemRandomNumberGenerator()
        let writer = GzipWriter()
        var pieces: [UInt8] = []
        var offset = 0
        while offset < Self.text.count {
            let end = min(Self.text.count, offset + Int.random(in: 1...300_000, using: &generator))
            Self.text[offset..<end].withUnsafeBytes { writer.append($0, to: &pieces) }
            offset = end
        }
        writer.finish(to: &pieces)
        let whole = Gzip.compress(Self.text)
        #expect(pieces == whole)
        #expect(hex(SHA256Digest.hash(whole)) == Self.golden)
        #expect((try? Gzip.decompress(whole)) == Self.text)
    }

    @Test func aLargeFileIsGzippedIntoAnUnlinkedSpoolWithTheDigestOfItsGzipInMemory() throws {
        let big = Self.big
        #expect(big.count > PreparedUpload.inMemoryLimit)
        let file = try record(big, name: "big.csv")
        let prepared = try PreparedUpload.prepare(file, gzip: true, spoolDirectory: directory.path).get()
        guard case .file = prepared.bytes else {
            Issue.record("a large file was prepared in memory")
            return
        }
        let expected = Gzip.compress(big)
        #expect(prepared.size == Int64(expected.count))
        #expect(prepared.digest == Data(SHA256Digest.hash(expected)).base64EncodedString())
        #expect(try prepared.whole().get() == expected)
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(left == ["big.csv"], "the spool file is unlinked at once: \(left)")
    }

    @Test func aSmallFileIsPreparedInMemoryAndALargeGzipGoesUpAsItIs() throws {
        let small = try PreparedUpload.prepare(
            try record(Self.text, name: "small.csv"), gzip: true, spoolDirectory: directory.path
        ).get()
        guard case .memory(let bytes) = small.bytes else {
            Issue.record("a small file was spooled")
            return
        }
        #expect(bytes == Gzip.compress(Self.text))
        let noise = Array(try #require(FileHandle(forReadingAtPath: "/dev/urandom")).readData(ofLength: 17 << 20))
        let already = try record(Gzip.compress(noise), name: "noise.csv.gz")
        let asItIs = try PreparedUpload.prepare(already, gzip: true, spoolDirectory: directory.path).get()
        #expect(asItIs.size == already.size)
        let original = try Array(Data(contentsOf: URL(fileURLWithPath: already.localPath)))
        #expect(asItIs.digest == Data(SHA256Digest.hash(original)).base64EncodedString())
    }

    @Test func partsDecryptToThePreparedBytesAndMatchThePredictedObjectSize() throws {
        let big = Self.big
        let prepared = try PreparedUpload.prepare(
            try record(big, name: "big.csv"), gzip: false, spoolDirectory: directory.path
        ).get()
        let master = (0..<32).map { UInt8($0) }
        let encryptor = try StageEnvelope.Encryptor(
            material: StageEncryptionMaterial(masterKey: master, queryID: "q", smkID: 1))
        let parts = UploadParts(prepared, encryptor: encryptor)
        var sizes: [Int] = []
        var ciphertext: [UInt8] = []
        while let part = try parts.next().get() {
            sizes.append(part.count)
            ciphertext += part
        }
        #expect(sizes.count == 3 && sizes.dropLast().allSatisfy { $0 == 8 << 20 }, "\(sizes)")
        #expect(Int64(ciphertext.count) == parts.objectSize)
        let plain = try StageEnvelope.decrypt(ciphertext, metadata: encryptor.metadata, masterKey: master)
        #expect(plain == big)
    }

    @Test func aFileChangedAfterItsDigestIsCaughtBeforeTheLastPart() throws {
        let big = Self.big
        let file = try record(big, name: "big.csv")
        let prepared = try PreparedUpload.prepare(file, gzip: false, spoolDirectory: directory.path).get()
        // Rewritten in place, same size: only the second pass's digest can tell.
        let handle = try #require(FileHandle(forWritingAtPath: file.localPath))
        try handle.seek(toOffset: 10)
        try handle.write(contentsOf: Data("CHANGED".utf8))
        try handle.close()
        let parts = UploadParts(prepared, encryptor: nil)
        var outcome: Result<[UInt8]?, UploadParts.Failure>
        repeat { outcome = parts.next() } while (try? outcome.get()) != nil
        guard case .failure(.digestChanged) = outcome else {
            Issue.record("expected digestChanged, got \(outcome)")
            return
        }
    }

    @Test func aFileThatChangedBeforeItWasReadIsNotPrepared() throws {
        var file = try record(Self.text, name: "f.csv")
        file.size += 1
        guard case .failure(.changed) = PreparedUpload.prepare(file, gzip: true, spoolDirectory: directory.path) else {
            Issue.record("a changed file was prepared")
            return
        }
    }
}
