import Foundation
import Glibc

/// An exclusive lock on the state directory (`flock` on `snowpiped.lock`, which holds the owner's PID), held
/// for the life of the process: a second daemon on the same outbox would send every batch again. The kernel
/// releases it when the process dies, however it dies, so a crash never leaves a stale lock.
public final class StateDirectoryLock: Sendable {
    /// The lock file's name inside the state directory.
    public static let fileName = "snowpiped.lock"
    private let descriptor: Int32

    /// Takes the lock, or throws naming the PID of the process that holds it.
    public init(stateDirectory: String) throws(SetupError) {
        let path = stateDirectory + "/" + Self.fileName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            throw SetupError("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = Self.holder(fd: fd)
            close(fd)
            guard reason == EWOULDBLOCK else {
                throw SetupError("cannot lock \(path): \(String(cString: strerror(reason)))")
            }
            throw SetupError(
                "another snowpiped\(holder.map { " (PID \($0))" } ?? "") is running on the state directory "
                    + "\(stateDirectory); two daemons on one outbox would submit every file twice. Stop it first "
                    + "(`systemctl stop snowpiped`), or give this one its own state_directory")
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// The PID of the daemon holding the lock of `stateDirectory`, or nil when no daemon runs (for `status`).
    public static func runningDaemon(stateDirectory: String) -> Int32? {
        let fd = open(stateDirectory + "/" + fileName, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        return holder(fd: fd) ?? -1
    }

    private static func holder(fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
