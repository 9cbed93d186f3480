import Foundation
import Glibc
import SnowpipeDaemon

/// What the service user (`snowpiped`, as the package's unit runs the daemon) can reach, judged by `check` when
/// root runs it: root reads everything, so a key root created for itself, or a watched directory only root can
/// list, passes root's check and then fails the service.
enum ServiceUserAccess {
    /// The user the packaged service runs as.
    static let serviceUser = "snowpiped"

    /// A user and every group it belongs to.
    struct Identity {
        var name: String
        var uid: uid_t
        var groups: Set<gid_t>
    }

    /// What the service needs of a path.
    enum Need {
        /// Read a file.
        case read
        /// List a directory (read and search).
        case list
        /// List a directory and create, rename or delete in it.
        case listAndChange

        var bits: (owner: mode_t, group: mode_t, other: mode_t) {
            switch self {
            case .read: (S_IRUSR, S_IRGRP, S_IROTH)
            case .list: (S_IRUSR | S_IXUSR, S_IRGRP | S_IXGRP, S_IROTH | S_IXOTH)
            case .listAndChange:
                (S_IRWXU, S_IRWXG, S_IRWXO)
            }
        }

        var verb: String {
            switch self {
            case .read: "read"
            case .list: "list"
            case .listAndChange: "list and change"
            }
        }

        var chmod: String {
            switch self {
            case .read: "g+r"
            case .list: "g+rx"
            case .listAndChange: "g+rwx"
            }
        }
    }

    /// The service user, when `check` runs as root and that user exists; nil otherwise.
    static func serviceIdentity() -> Identity? {
        guard geteuid() == 0, let entry = getpwnam(serviceUser) else { return nil }
        let gid = entry.pointee.pw_gid
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(serviceUser, gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(serviceUser, gid, &groups, &count)
        }
        return Identity(name: serviceUser, uid: entry.pointee.pw_uid, groups: Set(groups.prefix(Int(max(count, 0)))))
    }

    /// Whether `identity` has `bits` on the file described by `info` (owner, then group, then other, as the kernel
    /// decides: the first class that matches is the only one consulted).
    static func allows(_ info: stat, _ need: (owner: mode_t, group: mode_t, other: mode_t), _ identity: Identity)
        -> Bool
    {
        if info.st_uid == identity.uid { return info.st_mode & need.owner == need.owner }
        if identity.groups.contains(info.st_gid) { return info.st_mode & need.group == need.group }
        return info.st_mode & need.other == need.other
    }

    /// Why `identity` cannot do what `need` says with `path` (named `what` in the message), or nil when it can or
    /// the path does not exist. Every directory on the way must be searchable too.
    static func problem(_ what: String, path: String, need: Need, identity: Identity) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        var ancestor = (path as NSString).deletingLastPathComponent
        while ancestor.isEmpty == false {
            var directory = stat()
            if stat(ancestor, &directory) == 0, allows(directory, (S_IXUSR, S_IXGRP, S_IXOTH), identity) == false {
                return "\(what) \(path): the service user \(identity.name) cannot reach it: \(ancestor) is "
                    + "\(describe(directory)). Fix: sudo chmod o+x \(ancestor) (or g+x for a group \(identity.name) "
                    + "is in)"
            }
            if ancestor == "/" { break }
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
        guard allows(info, need.bits, identity) == false else { return nil }
        return "\(what) \(path) is \(describe(info)): the service user \(identity.name) cannot \(need.verb) it. "
            + "Fix: sudo chgrp \(identity.name) \(path) && sudo chmod \(need.chmod) \(path)"
    }

    /// Why the service user cannot read the private key, when `check` runs as root; nil otherwise.
    static func keyProblem(path: String) -> String? {
        guard let identity = serviceIdentity() else { return nil }
        guard let problem = problem("private key", path: path, need: .read, identity: identity) else { return nil }
        return problem + " (or create the key with `snowpiped keygen --owner \(serviceUser)`; keep it mode 0600)"
    }

    /// What the service user cannot reach of the state directory, the watched directories and where files are
    /// moved to, when `check` runs as root; directories that do not exist yet are left to the daemon.
    static func directoryProblems(_ settings: DaemonConfiguration) -> [String] {
        guard let identity = serviceIdentity() else { return [] }
        var problems: [String] = []
        func add(_ what: String, _ path: String, _ need: Need) {
            if let problem = problem(what, path: path, need: need, identity: identity) { problems.append(problem) }
        }
        add("state directory", settings.stateDirectory, .listAndChange)
        for rule in settings.watches {
            var changes = false
            if case .move(let target) = rule.afterLoad {
                add("after_load_directory", target, .listAndChange)
                changes = true
            }
            if case .delete = rule.afterLoad { changes = true }
            if case .quarantine(let target) = rule.afterFailure {
                add("quarantine_directory", target, .listAndChange)
                changes = true
            }
            add("watched directory", rule.directory, changes ? .listAndChange : .list)
        }
        return problems
    }

    /// `owned by USER:GROUP with mode 0NNN`.
    static func describe(_ info: stat) -> String {
        let owner = getpwuid(info.st_uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(info.st_uid)"
        let group = getgrgid(info.st_gid).map { String(cString: $0.pointee.gr_name) } ?? "gid \(info.st_gid)"
        return "owned by \(owner):\(group) with mode 0\(String(info.st_mode & 0o777, radix: 8))"
    }
}
