import Codecs
import FileWatching
import Foundation
import Glibc
import Outbox

/// A streamed file read block by block (1 MiB of the file at a time, gunzipped when it is gzip), so a large file
/// is never held whole. The descriptor is opened once, at the recorded version: a writer that replaces the file
/// by a rename cannot touch what is read; one that rewrites it in place is caught by the version check after
/// each block (that block and the rest are not used). A gzip file is checked whole before its first row is
/// given, so a corrupt one sends nothing. Blocking: `open` and `read` run on `BlockingWork`. One owner at a time.
final class StreamFileSource: @unchecked Sendable {
    static let blockSize = 1 << 20

    /// Why the file cannot be read (or read any more), in words for the journal.
    struct Problem: Error {
        let message: String
    }

    let record: FileRecord
    private let descriptor: Int32
    /// Set for a gzip file.
    private let inflater: GzipReader?
    private var offset: Int64 = 0

    private init(record: FileRecord, descriptor: Int32, gzip: Bool) {
        self.record = record
        self.descriptor = descriptor
        inflater = gzip ? GzipReader() : nil
    }

    deinit { close(descriptor) }

    /// Opens `record`'s file if it is still the version recorded (size and modification time, as the after-load
    /// actions check it).
    static func open(_ record: FileRecord, compression: StreamSettings.InputCompression) -> Result<
        StreamFileSource, Problem
    > {
        let path = record.localPath
        guard FileVersion(path: path) != nil else {
            return .failure(
                Problem(
                    message: "the file disappeared before all its rows were sent (\(String(cString: strerror(errno))))")
            )
        }
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            return .failure(Problem(message: "the file cannot be read: check that the service user may read it"))
        }
        guard unchanged(descriptor, record) else {
            close(descriptor)
            return .failure(
                Problem(
                    message: "the file changed before all its rows were sent; put new rows in a new file "
                        + "(its rows already committed stay in the table)"))
        }
        let head = FileBytes.read(descriptor, at: 0, count: Int(min(2, record.size))) ?? []
        let gzip = compression == .gzip || (compression == .auto && Gzip.isGzip(head))
        let source = StreamFileSource(record: record, descriptor: descriptor, gzip: gzip)
        if gzip, let problem = source.validate() { return .failure(problem) }
        return .success(source)
    }

    /// The next block of the file's (decompressed) bytes, or nil after the last.
    func read() -> Result<[UInt8]?, Problem> {
        guard offset < record.size else { return .success(nil) }
        let count = Int(min(Int64(Self.blockSize), record.size - offset))
        guard let block = FileBytes.read(descriptor, at: offset, count: count) else {
            return .failure(Problem(message: "the file cannot be read any more (\(String(cString: strerror(errno))))"))
        }
        guard Self.unchanged(descriptor, record) else {
            return .failure(Problem(message: "the file changed while its rows were read; put new rows in a new file"))
        }
        offset += Int64(count)
        guard let inflater else { return .success(block) }
        var output: [UInt8] = []
        do {
            try inflater.append(block, to: &output)
        } catch {
            return .failure(Problem(message: "the file is not valid gzip: \(error.message)"))
        }
        return .success(output)
    }

    /// A whole pass of the gzip stream, its output dropped: nil when it is valid to its end.
    private func validate() -> Problem? {
        let checker = GzipReader()
        var position: Int64 = 0
        var output: [UInt8] = []
        do throws(Gzip.Failure) {
            while position < record.size {
                let count = Int(min(Int64(Self.blockSize), record.size - position))
                guard let block = FileBytes.read(descriptor, at: position, count: count) else {
                    return Problem(message: "the file cannot be read (\(String(cString: strerror(errno))))")
                }
                try checker.append(block, to: &output)
                output.removeAll(keepingCapacity: true)
                position += Int64(count)
            }
            try checker.finish()
        } catch {
            return Problem(message: "the file is not valid gzip: \(error.message)")
        }
        return nil
    }

    /// The open file is still the recorded version.
    private static func unchanged(_ descriptor: Int32, _ record: FileRecord) -> Bool {
        guard let version = DirectoryScanner.inspect(descriptor: descriptor) else { return false }
        return version.size == record.size && version.mtimeNanoseconds == record.mtimeNanoseconds
    }
}
