import FileWatching
import Outbox

/// Size and modification time of a file on disk, to act only on the version a row describes. Read with the
/// scanner's own `lstat` (`DirectoryScanner.inspect`), so "the same version" means one thing everywhere.
struct FileVersion {
    var size: Int64
    var mtimeNanoseconds: Int64

    init?(path: String) {
        guard let scanned = DirectoryScanner.inspect(path) else { return nil }
        size = scanned.size
        mtimeNanoseconds = scanned.mtimeNanoseconds
    }

    /// The row describes this version.
    func matches(_ file: FileRecord) -> Bool {
        size == file.size && mtimeNanoseconds == file.mtimeNanoseconds
    }
}
