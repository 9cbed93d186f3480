import Codecs
import Foundation
import Glibc
import IngestCore
import Outbox
import SnowflakeAuth

/// One file version made ready for its stage: the bytes the stage gets (gzipped when the object name says so and
/// the file is not gzip already), their size and SHA-256 (`sfc-digest`, needed before the first byte is sent).
///
/// A file up to `inMemoryLimit` is read, compressed and held in memory. A larger one is never held whole: it is
/// read once in 1 MiB pieces to take the digest (compressed on the way into a spool file in the state directory,
/// unlinked as soon as it is created, so a crash leaves nothing behind) and read again part by part while it is
/// uploaded. Blocking: prepare and read on `BlockingWork`. One owner at a time.
final class PreparedUpload: @unchecked Sendable {
    /// Files up to this size are prepared in memory.
    static let inMemoryLimit = StageLimits.inMemoryBytes
    static let pieceSize = 1 << 20

    /// Where the prepared bytes are.
    enum Bytes {
        case memory([UInt8])
        /// An open descriptor: the spool file, or the original file when it goes up as it is.
        case file(Int32)
    }

    /// Why a file could not be prepared.
    enum Failure: Error, CustomStringConvertible {
        /// It could not be read (errno).
        case unreadable(Int32)
        /// It is not the version the outbox recorded any more.
        case changed
        /// The spool file could not be written (errno), in this directory.
        case spool(Int32, String)

        var description: String {
            switch self {
            case .unreadable(let code): String(cString: strerror(code))
            case .changed: "the file changed"
            case .spool(let code, let directory): "cannot write in \(directory): \(String(cString: strerror(code)))"
            }
        }
    }

    let bytes: Bytes
    /// The prepared size, before any encryption.
    let size: Int64
    /// Base64 of the SHA-256 of the prepared bytes.
    let digest: String

    private init(bytes: Bytes, size: Int64, digest: [UInt8]) {
        self.bytes = bytes
        self.size = size
        self.digest = Data(digest).base64EncodedString()
    }

    deinit {
        if case .file(let descriptor) = bytes { close(descriptor) }
    }

    /// Prepares `file` (at its recorded version), gzipped when `gzip` and not gzip already.
    static func prepare(_ file: FileRecord, gzip: Bool, spoolDirectory: String) -> Result<PreparedUpload, Failure> {
        let descriptor = open(file.localPath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(.unreadable(errno)) }
        var keep = false
        defer { if keep == false { close(descriptor) } }
        guard FileVersion(path: file.localPath)?.matches(file) == true else { return .failure(.changed) }
        if file.size <= inMemoryLimit {
            guard let raw = FileBytes.read(descriptor, at: 0, count: Int(file.size)) else {
                return .failure(errno == 0 ? .changed : .unreadable(errno))
            }
            guard FileVersion(path: file.localPath)?.matches(file) == true else { return .failure(.changed) }
            let prepared = gzip && Gzip.isGzip(raw) == false ? Gzip.compress(raw) : raw
            return .success(
                PreparedUpload(
                    bytes: .memory(prepared), size: Int64(prepared.count), digest: SHA256Digest.hash(prepared)))
        }
        guard let head = FileBytes.read(descriptor, at: 0, count: 2) else {
            return .failure(errno == 0 ? .changed : .unreadable(errno))
        }
        let result =
            gzip && Gzip.isGzip(head) == false
            ? spool(descriptor, file: file, directory: spoolDirectory)
            : digestInPlace(descriptor, file: file)
        if case .success(let prepared) = result, case .file(descriptor) = prepared.bytes { keep = true }
        return result
    }

    /// The original goes up as it is: only its digest is taken now.
    private static func digestInPlace(_ descriptor: Int32, file: FileRecord) -> Result<PreparedUpload, Failure> {
        let hasher = SHA256Digest.Hasher()
        let failure = forEachPiece(of: descriptor, count: file.size) { piece in
            piece.withUnsafeBytes { hasher.update($0) }
            return true
        }
        if let failure { return .failure(failure) }
        guard FileVersion(path: file.localPath)?.matches(file) == true else { return .failure(.changed) }
        return .success(PreparedUpload(bytes: .file(descriptor), size: file.size, digest: hasher.finish()))
    }

    /// The original compressed into an unlinked spool file, digested on the way.
    private static func spool(_ descriptor: Int32, file: FileRecord, directory: String) -> Result<
        PreparedUpload, Failure
    > {
        var template = Array((directory + "/.upload-XXXXXX").utf8CString)
        let spool = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard spool >= 0 else { return .failure(.spool(errno, directory)) }
        _ = fcntl(spool, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        let writer = GzipWriter()
        let hasher = SHA256Digest.Hasher()
        var written: Int64 = 0
        var writeError: Int32 = 0
        var output: [UInt8] = []
        output.reserveCapacity(pieceSize + 4096)
        let drain = { (output: inout [UInt8]) -> Bool in
            output.withUnsafeBytes { hasher.update($0) }
            guard FileBytes.write(spool, output) else {
                writeError = errno
                return false
            }
            written += Int64(output.count)
            output.removeAll(keepingCapacity: true)
            return true
        }
        var failure = forEachPiece(of: descriptor, count: file.size) { piece in
            piece.withUnsafeBytes { writer.append($0, to: &output) }
            return drain(&output)
        }
        if failure == nil {
            writer.finish(to: &output)
            if drain(&output) == false { failure = .spool(writeError, directory) }
        } else if writeError != 0 {
            failure = .spool(writeError, directory)
        }
        if failure == nil, FileVersion(path: file.localPath)?.matches(file) != true { failure = .changed }
        if let failure {
            close(spool)
            return .failure(failure)
        }
        return .success(PreparedUpload(bytes: .file(spool), size: written, digest: hasher.finish()))
    }

    /// Calls `body` with each 1 MiB piece of the first `count` bytes; stops at the first false. A file shorter
    /// than `count` is `.changed`.
    private static func forEachPiece(of descriptor: Int32, count: Int64, _ body: ([UInt8]) -> Bool) -> Failure? {
        var offset: Int64 = 0
        while offset < count {
            let length = Int(min(Int64(pieceSize), count - offset))
            guard let piece = FileBytes.read(descriptor, at: offset, count: length) else {
                return errno == 0 ? .changed : .unreadable(errno)
            }
            guard body(piece) else { return .unreadable(0) }
            offset += Int64(length)
        }
        return nil
    }

    /// `count` bytes of the prepared bytes from `offset`; nil when they cannot be read (errno set, 0 when the file
    /// ended early).
    func read(at offset: Int64, count: Int) -> [UInt8]? {
        switch bytes {
        case .memory(let memory):
            let start = Int(offset)
            guard start + count <= memory.count else { return nil }
            return Array(memory[start..<(start + count)])
        case .file(let descriptor):
            return FileBytes.read(descriptor, at: offset, count: count)
        }
    }

    /// All the prepared bytes (for a single PUT: only ever a prepared size up to `inMemoryLimit`), or the errno.
    func whole() -> Result<[UInt8], Failure> {
        if case .memory(let memory) = bytes { return .success(memory) }
        guard let all = read(at: 0, count: Int(size)) else { return .failure(.unreadable(errno)) }
        return .success(all)
    }
}
