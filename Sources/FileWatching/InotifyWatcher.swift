import Foundation
import Glibc
import Synchronization

/// Watches directory trees with inotify on a dedicated reader thread that never waits on anything but the
/// kernel: it reads events into a 256 KiB buffer, maps them to paths, arms watches on new subdirectories at
/// once, and hands batches to an unbounded stream. Whoever consumes the stream may be slow; the reader is not.
///
/// Masks: `IN_CLOSE_WRITE` and `IN_MOVED_TO` for files (a file is taken when complete), `IN_CREATE` /
/// `IN_MOVED_TO` with `IN_ISDIR` for new directories, `IN_DELETE_SELF` / `IN_MOVE_SELF` / `IN_UNMOUNT` for
/// lost roots, `IN_Q_OVERFLOW` for lost events.
public final class InotifyWatcher: WatchEventSource {
    /// One watched tree (kept under this name for callers of the concrete watcher).
    public typealias Root = WatchRoot

    private struct Watch {
        var path: String
        var root: Int
    }

    private struct State {
        var watches: [Int32: Watch] = [:]
        var stopped = false
    }

    /// Size of one read: many events per syscall under load.
    static let bufferSize = 256 * 1024

    private let descriptor: Int32
    private let stopPipe: (read: Int32, write: Int32)
    private let roots: [Root]
    private let state = Mutex(State())
    /// Batches of events, in order.
    public let events: AsyncStream<[WatchEvent]>
    private let continuation: AsyncStream<[WatchEvent]>.Continuation

    /// Creates the inotify instance (no watches yet).
    /// - Throws: `WatchError` when inotify is unavailable (e.g. `fs.inotify.max_user_instances` reached).
    public init(roots: [Root]) throws(WatchError) {
        let fd = inotify_init1(Int32(IN_NONBLOCK) | Int32(IN_CLOEXEC))
        guard fd >= 0 else {
            throw WatchError(
                "inotify_init1 failed: \(String(cString: strerror(errno))) (is fs.inotify.max_user_instances reached?)")
        }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            close(fd)
            throw WatchError("pipe failed: \(String(cString: strerror(errno)))")
        }
        descriptor = fd
        stopPipe = (fds[0], fds[1])
        self.roots = roots
        (events, continuation) = AsyncStream.makeStream(of: [WatchEvent].self, bufferingPolicy: .unbounded)
    }

    deinit {
        close(descriptor)
        close(stopPipe.read)
        close(stopPipe.write)
    }

    /// Starts the reader thread.
    public func start() {
        let thread = Thread { [self] in self.readLoop() }
        thread.name = "inotify-reader"
        thread.start()
    }

    /// Stops the reader and finishes the stream.
    public func stop() {
        let first = state.withLock { s -> Bool in
            defer { s.stopped = true }
            return !s.stopped
        }
        if first {
            var byte: UInt8 = 1
            _ = write(stopPipe.write, &byte, 1)
        }
    }

    /// Arms watches on root `index` (and, if recursive, its subdirectories); returns the directories now
    /// watched, to be scanned by the caller. Problems are reported as events too.
    @discardableResult
    public func arm(root index: Int) -> [String] {
        let root = roots[index]
        var added: [String] = []
        addTree(root.path, root: index, added: &added)
        return added
    }

    private func addTree(_ path: String, root: Int, added: inout [String]) {
        var stack = [path]
        while let directory = stack.popLast() {
            let mask =
                UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_CREATE) | UInt32(IN_DELETE_SELF)
                | UInt32(IN_MOVE_SELF) | UInt32(IN_ONLYDIR) | UInt32(IN_EXCL_UNLINK)
            let wd = inotify_add_watch(descriptor, directory, mask)
            if wd < 0 {
                let code = errno
                if code == ENOSPC {
                    continuation.yield([.watchLimitReached(directory)])
                } else if code != ENOENT && code != ENOTDIR {
                    continuation.yield([.watchFailed(directory, String(cString: strerror(code)))])
                } else if directory == roots[root].path {
                    continuation.yield([.rootLost(directory)])
                }
                continue
            }
            state.withLock { $0.watches[wd] = Watch(path: directory, root: root) }
            added.append(directory)
            guard roots[root].recursive, let handle = opendir(directory) else { continue }
            while let entry = readdir(handle) {
                guard entry.pointee.d_type == UInt8(DT_DIR) || entry.pointee.d_type == UInt8(DT_UNKNOWN) else {
                    continue
                }
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(validating: Array(raw.prefix { $0 != 0 }), as: UTF8.self)
                }
                guard let name, name != ".", name != "..", roots[root].filter.accepts(directoryName: name) else {
                    continue
                }
                let child = directory + "/" + name
                if entry.pointee.d_type == UInt8(DT_UNKNOWN), DirectoryScanner.isDirectory(child) == false { continue }
                stack.append(child)
            }
            closedir(handle)
        }
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: Self.bufferSize)
        var fds = [
            pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stopPipe.read, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            fds[0].revents = 0
            fds[1].revents = 0
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            if fds[1].revents != 0 { break }
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, Self.bufferSize) }
                if count <= 0 { break }
                let batch = buffer.withUnsafeBytes { parse(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                if batch.isEmpty == false { continuation.yield(batch) }
            }
        }
        continuation.finish()
    }

    /// Parses `inotify_event` records: a 16-byte header (wd, mask, cookie, len) and `len` bytes of
    /// NUL-padded name.
    private func parse(_ bytes: UnsafeRawBufferPointer) -> [WatchEvent] {
        var events: [WatchEvent] = []
        var offset = 0
        while offset + 16 <= bytes.count {
            let wd = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let nameBytes = bytes[(offset + 16)..<min(offset + 16 + length, bytes.count)].prefix { $0 != 0 }
            offset += 16 + length
            if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                events.append(.overflow)
                continue
            }
            let watch = state.withLock { $0.watches[wd] }
            if mask & UInt32(IN_IGNORED) != 0 {
                state.withLock { _ = $0.watches.removeValue(forKey: wd) }
                if let watch, watch.path == roots[watch.root].path { events.append(.rootLost(watch.path)) }
                continue
            }
            guard let watch else { continue }
            if mask & (UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF) | UInt32(IN_UNMOUNT)) != 0 {
                if watch.path == roots[watch.root].path {
                    events.append(.rootLost(watch.path))
                }
                if mask & UInt32(IN_MOVE_SELF) != 0 {
                    // A moved directory keeps its watch but its path is stale: drop it; a rescan re-arms.
                    inotify_rm_watch(descriptor, wd)
                }
                continue
            }
            guard let name = String(validating: nameBytes, as: UTF8.self) else {
                // A name that is not UTF-8 has no String path that opens it: rescan its directory, whose scanner
                // keeps the raw bytes and reports the file as such (it is rejected with a clear reason).
                if mask & (UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO)) != 0, mask & UInt32(IN_ISDIR) == 0 {
                    events.append(.directoryAdded(watch.path))
                }
                continue
            }
            guard name.isEmpty == false else { continue }
            let path = watch.path + "/" + name
            if mask & UInt32(IN_ISDIR) != 0 {
                guard mask & (UInt32(IN_CREATE) | UInt32(IN_MOVED_TO)) != 0, roots[watch.root].recursive,
                    roots[watch.root].filter.accepts(directoryName: name)
                else { continue }
                var added: [String] = []
                addTree(path, root: watch.root, added: &added)
                events.append(contentsOf: added.map { .directoryAdded($0) })
            } else if mask & UInt32(IN_CLOSE_WRITE) != 0 {
                events.append(.fileClosed(path))
            } else if mask & UInt32(IN_MOVED_TO) != 0 {
                events.append(.fileMovedIn(path))
            }
        }
        return events
    }
}

/// inotify could not be set up.
public struct WatchError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
