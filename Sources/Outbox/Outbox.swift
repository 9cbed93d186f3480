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

    /// Opens (creating and migrating if needed) the outbox at `path`.
    /// - Parameter readOnly: for `snowpiped status`: no migration, no writes.
    public init(path: String, readOnly: Bool = false) throws(OutboxError) {
        self.path = path
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(10)
        configuration.label = "outbox"
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            if readOnly {
                // The daemon creates the file a moment before its schema: say so instead of "no such table".
                let version = try pool.read { try Int.fetchOne($0, sql: "PRAGMA user_version") } ?? 0
                if version == 0 { throw OutboxError.notCreatedYet(path: path) }
                if version > OutboxSchema.currentVersion {
                    throw OutboxError.newerSchema(found: version, supported: OutboxSchema.currentVersion)
                }
            } else {
                try pool.write { try OutboxSchema.migrate($0) }
                // GRDB sets synchronous=NORMAL with WAL; FULL makes each commit survive a power loss too.
                try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            }
        } catch let error as OutboxError {
            throw error
        } catch {
            throw .database("\(path): \(error)")
        }
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
