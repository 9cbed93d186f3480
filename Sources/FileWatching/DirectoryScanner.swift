import Glibc

/// One entry found by a scan.
public struct ScannedFile: Sendable, Equatable {
    /// Absolute path.
    public var path: String
    public var size: Int64
    public var mtimeNanoseconds: Int64
    /// False for symlinks, sockets, FIFOs, devices.
    public var isRegular: Bool
    /// Set when the name is not valid UTF-8 (`path` then shows it with replacement characters).
    public var invalidName: Bool
}

/// Walks directories with readdir + fstatat (no Foundation, no per-file allocations beyond the path).
public enum DirectoryScanner {
    /// Lists every file under `root` (recursively when asked), skipping directories the filter excludes (a
    /// `DirectoryWalk` taken whole; a caller that may meet a large tree takes it in pieces instead).
    public static func scan(_ root: String, recursive: Bool, filter: GlobFilter) -> [ScannedFile] {
        DirectoryWalk(root, recursive: recursive, filter: filter).next(upTo: .max)
    }

    /// Stats one path without following symlinks; nil when it is gone.
    public static func inspect(_ path: String) -> ScannedFile? {
        var info = Glibc.stat()
        guard lstat(path, &info) == 0 else { return nil }
        let type = info.st_mode & S_IFMT
        return ScannedFile(
            path: path, size: Int64(info.st_size),
            mtimeNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            isRegular: type == S_IFREG, invalidName: false)
    }

    /// Stats an open descriptor (the version a reader holds); nil when `fstat` fails.
    public static func inspect(descriptor: Int32) -> (size: Int64, mtimeNanoseconds: Int64)? {
        var info = Glibc.stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        return (Int64(info.st_size), Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }

    /// True when `path` is an existing directory.
    public static func isDirectory(_ path: String) -> Bool {
        var info = Glibc.stat()
        let status = fstatat(AT_FDCWD, path, &info, 0)
        return status == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
