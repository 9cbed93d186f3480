import Glibc
import Synchronization

/// A directory walk taken in pieces: each `next(upTo:)` returns the next files (readdir + fstatat, as
/// `DirectoryScanner.scan`), so a caller holds one piece at a time instead of a whole tree's listing: the start-up
/// scan of a 100,000-file backlog commits 20,000 at a time and never holds the rest. One caller at a time; the
/// open directory is closed when the walk ends or is dropped.
public final class DirectoryWalk: Sendable {
    private struct State: ~Copyable {
        var stack: [String]
        /// The directory being read, and its path.
        var current: (handle: OpaquePointer, path: String)?

        deinit { if let current { closedir(current.handle) } }
    }

    private let state: Mutex<State>
    private let recursive: Bool
    private let filter: GlobFilter

    public init(_ root: String, recursive: Bool, filter: GlobFilter) {
        state = Mutex(State(stack: [root], current: nil))
        self.recursive = recursive
        self.filter = filter
    }

    /// Up to `limit` more files; empty once the walk is over.
    public func next(upTo limit: Int) -> [ScannedFile] {
        state.withLock { state in
            var files: [ScannedFile] = []
            while files.count < limit {
                if state.current == nil {
                    guard let path = state.stack.popLast() else { break }
                    guard let handle = opendir(path) else { continue }
                    state.current = (handle, path)
                }
                let (handle, current) = state.current!
                guard let entry = readdir(handle) else {
                    closedir(handle)
                    state.current = nil
                    continue
                }
                let nameBytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
                if nameBytes == [46] || nameBytes == [46, 46] { continue }
                let decoded = String(validating: nameBytes, as: UTF8.self)
                let name = decoded ?? String(decoding: nameBytes, as: UTF8.self)
                var info = Glibc.stat()
                let status = (nameBytes + [0]).withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) {
                        fstatat(dirfd(handle), $0.baseAddress!, &info, AT_SYMLINK_NOFOLLOW)
                    }
                }
                guard status == 0 else { continue }
                let path = current == "/" ? "/" + name : current + "/" + name
                let type = info.st_mode & S_IFMT
                if type == S_IFDIR {
                    if recursive, decoded != nil, filter.accepts(directoryName: name) { state.stack.append(path) }
                    continue
                }
                guard filter.accepts(fileName: name) else { continue }
                files.append(
                    ScannedFile(
                        path: path, size: Int64(info.st_size),
                        mtimeNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                        isRegular: type == S_IFREG, invalidName: decoded == nil))
            }
            return files
        }
    }
}
