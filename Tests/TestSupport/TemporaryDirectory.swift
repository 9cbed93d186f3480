import Foundation
import Glibc

/// A fresh directory under the system temp dir, removed when the value is deinitialised.
public final class TemporaryDirectory: Sendable {
    /// Absolute path of the directory.
    public let path: String

    /// Creates `.../snowpiped-test-<uuid>`.
    public init(_ label: String = "test") {
        path = NSTemporaryDirectory() + "snowpiped-\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `contents` to `relative` (creating parent directories) and returns the absolute path.
    @discardableResult
    public func write(_ relative: String, _ contents: String) -> String {
        write(relative, bytes: Array(contents.utf8))
    }

    /// Writes raw bytes to `relative` (creating parent directories) and returns the absolute path.
    @discardableResult
    public func write(_ relative: String, bytes: [UInt8]) -> String {
        let full = path + "/" + relative
        let parent = (full as NSString).deletingLastPathComponent
        try! FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        precondition(FileManager.default.createFile(atPath: full, contents: Data(bytes)), "cannot write \(full)")
        return full
    }

    /// Writes `contents` to `relative` in place (open, write, close: no temporary file and no rename, so a watcher
    /// would see it closed, not moved in) and returns the absolute path. The parent must exist. Many times faster
    /// than `write`'s atomic replace: for tests that make thousands of files without a watcher.
    @discardableResult
    public func create(_ relative: String, _ contents: String) -> String {
        let full = path + "/" + relative
        let descriptor = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        precondition(descriptor >= 0, "cannot create \(full): errno \(errno)")
        defer { close(descriptor) }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        precondition(written == bytes.count, "cannot write \(full): errno \(errno)")
        return full
    }
}
