import Foundation
import GRDB
import IngestCore

/// The durable outbox: every file version seen, its batch and its fate, in SQLite (WAL) under the state
/// directory. Every state change is one transaction, committed before anything acts on it.
///
/// Concurrency: one writer at a time (GRDB's pool serialises writes); `snowpiped status` reads concurrently
/// from another process thanks to WAL.
public final class Outbox: Sendable {
    let pool: DatabasePool
    /// Database file path.
    public let path: String

    /// Opens the outbox at `path`, creating it only where no file exists.
    ///
    /// A new outbox is built under a temporary name and renamed into place once its schema is committed, so a
    /// crash never leaves an empty `outbox.sqlite`. An existing file that is empty, not a database, not a
    /// snowpiped outbox, or written by a newer snowpiped is refused: starting over on it would submit every
    /// file again and forget what was loaded.
    /// - Parameter readOnly: for `snowpiped status`: no migration, no writes. `immutable` (read-only only): the
    ///   file is read without the WAL index, for a reader who may not create `-shm` while no daemon runs.
    public init(path: String, readOnly: Bool = false, immutable: Bool = false) throws(OutboxError) {
        self.path = path
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(10)
        configuration.label = "outbox"
        // GRDB's default is .userInitiated, whose libdispatch worker threads ask for nice -2: refused to an
        // unprivileged service, and each refusal is a "Failed to set thread priority" line in the journal.
        configuration.qos = .default
        do {
            if readOnly == false, FileManager.default.fileExists(atPath: path) == false {
                try Self.create(at: path)
            }
            try Self.checkNotEmpty(path)
            pool = try DatabasePool(path: immutable ? Self.immutableURI(path) : path, configuration: configuration)
            let (version, tables) = try pool.read { db in
                (
                    try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'") ?? 0
                )
            }
            if version == 0 {
                throw tables == 0 && readOnly ? OutboxError.notCreatedYet(path: path) : OutboxError.foreign(path: path)
            }
            if version > OutboxSchema.currentVersion {
                throw OutboxError.newerSchema(found: version, supported: OutboxSchema.currentVersion)
            }
            if readOnly == false {
                try pool.write { try OutboxSchema.migrate($0) }
                // GRDB sets synchronous=NORMAL with WAL; FULL makes each commit survive a power loss too.
                try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            }
        } catch let error as OutboxError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw .foreign(path: path)
        } catch {
            throw .database("\(path): \(error)")
        }
    }

    /// Builds a new outbox beside `path` and renames it into place, durably.
    private static func create(at path: String) throws {
        let building = path + ".creating"
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(building + suffix) }
        do {
            let queue = try DatabaseQueue(path: building)
            try queue.write { try OutboxSchema.migrate($0) }
            try queue.writeWithoutTransaction { _ = try String.fetchOne($0, sql: "PRAGMA journal_mode = WAL") }
            try queue.close()
        }
        let fd = open(building, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        guard rename(building, path) == 0 else {
            throw OutboxError.database("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// A `file:` URI opening `path` as immutable (SQLite is built with URI filenames on Debian).
    private static func immutableURI(_ path: String) -> String {
        var escaped = ""
        for character in path {
            switch character {
            case "%": escaped += "%25"
            case "?": escaped += "%3f"
            case "#": escaped += "%23"
            default: escaped.append(character)
            }
        }
        return "file:\(escaped)?immutable=1"
    }

    private static func checkNotEmpty(_ path: String) throws(OutboxError) {
        var info = stat()
        if stat(path, &info) == 0, info.st_size == 0 { throw .empty(path: path) }
    }

    /// Runs a write transaction, mapping errors.
    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(OutboxError) -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw .database("\(error)")
        }
    }

    /// Runs a read, mapping errors.
    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(OutboxError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw .database("\(error)")
        }
    }

    static func seconds(_ date: Date) -> Double { date.timeIntervalSince1970 }
}
