import Foundation
import GRDB
import IngestCore

/// One pipe's health as the daemon sees it, stored for `snowpiped status`.
public struct PipeHealthRecord: Sendable, Equatable {
    public var pipe: String
    public var lastSuccessAt: Date?
    public var backoffUntil: Date?
    public var backoffReason: String?

    public init(pipe: String, lastSuccessAt: Date?, backoffUntil: Date?, backoffReason: String?) {
        self.pipe = pipe
        self.lastSuccessAt = lastSuccessAt
        self.backoffUntil = backoffUntil
        self.backoffReason = backoffReason
    }
}

/// Discovery-to-final latency of a pipe's files finished in a window.
public struct LatencySummary: Sendable, Equatable, Codable {
    public var files: Int
    public var p50: Double
    public var p99: Double
}

extension Outbox {
    /// Stores the pipes' health (one transaction).
    public func recordHealth(_ records: [PipeHealthRecord]) async throws(OutboxError) {
        guard records.isEmpty == false else { return }
        try await write { db in
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO pipes (pipe, last_success_at, backoff_until, backoff_reason) VALUES (?, ?, ?, ?)
                    ON CONFLICT (pipe) DO UPDATE SET last_success_at = excluded.last_success_at,
                        backoff_until = excluded.backoff_until, backoff_reason = excluded.backoff_reason
                    """)
            for record in records {
                try statement.execute(arguments: [
                    record.pipe, record.lastSuccessAt.map(Self.seconds), record.backoffUntil.map(Self.seconds),
                    record.backoffReason,
                ])
            }
        }
    }

    /// Stores how many files the watcher holds until they are complete (settling).
    public func recordSettling(_ count: Int, now: Date) async throws(OutboxError) {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO daemon_facts (id, settling, stored_at) VALUES (1, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET settling = excluded.settling, stored_at = excluded.stored_at
                    """,
                arguments: [count, Self.seconds(now)])
        }
    }

    /// The settling count the daemon stored last, and when (nil: never stored).
    public func settling() async throws(OutboxError) -> (count: Int, storedAt: Date)? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT settling, stored_at FROM daemon_facts WHERE id = 1").map {
                (count: $0[0], storedAt: Date(timeIntervalSince1970: $0[1]))
            }
        }
    }

    /// Per pipe, p50 and p99 of discovery → final status over the files finished since `since`.
    public func finalLatencies(since: Date) async throws(OutboxError) -> [String: LatencySummary] {
        let from = Self.seconds(since)
        return try await read { db in
            var byPipe: [String: [Double]] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT pipe, finished_at - discovered_at FROM files
                    WHERE finished_at IS NOT NULL AND finished_at >= ?
                    """,
                arguments: [from])
            while let row = try rows.next() { byPipe[row[0], default: []].append(max(0, row[1])) }
            return byPipe.mapValues { values in
                let sorted = values.sorted()
                func quantile(_ q: Double) -> Double {
                    sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)]
                }
                return LatencySummary(files: sorted.count, p50: quantile(0.5), p99: quantile(0.99))
            }
        }
    }

    /// The pipe's oldest file not finished yet (pending or submitted): the first recorded (row ids grow with
    /// discovery; a pending row replaced by a newer version keeps its id, so it counts from its first version).
    public func oldestUnfinishedFile(pipe: String) async throws(OutboxError) -> FileRecord? {
        try await read { db in
            try FileRecord.fetchOne(
                db,
                sql: """
                    SELECT * FROM files WHERE pipe = ? AND state IN ('pending', 'submitted')
                    ORDER BY id LIMIT 1
                    """,
                arguments: [pipe])
        }
    }
}
