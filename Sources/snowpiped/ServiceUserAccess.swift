import Foundation
import Glibc

/// What the service user (`snowpiped`, as the package's unit runs the daemon) can read, judged by `check` when
/// root runs it: root reads everything, so a key root created for itself passes root's check and then fails
/// the service at start.
enum ServiceUserAccess {
    /// The user the packaged service runs as.
    static let serviceUser = "snowpiped"

    /// Why the service user cannot read the private key at `path`, when `check` runs as root and that user
    /// exists; nil otherwise (not root, no such user, or readable).
    static func keyProblem(path: String) -> String? {
        guard geteuid() == 0, let entry = getpwnam(serviceUser) else { return nil }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let readable =
            (info.st_uid == uid && info.st_mode & S_IRUSR != 0) || (info.st_gid == gid && info.st_mode & S_IRGRP != 0)
            || info.st_mode & S_IROTH != 0
        guard readable == false else { return nil }
        let owner = getpwuid(info.st_uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(info.st_uid)"
        return "private key \(path) is owned by \(owner) with mode \(String(info.st_mode & 0o777, radix: 8)): the "
            + "service user \(serviceUser) cannot read it. Fix: sudo chown \(serviceUser):\(serviceUser) \(path) "
            + "(or create it with `snowpiped keygen --owner \(serviceUser)`)"
    }
}
