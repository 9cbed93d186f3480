import Foundation
import GRDB

/// The emulator's SQLite database: one table per target table, holding the rows that "landed", each with
/// Snowflake's `METADATA$FILENAME` and `METADATA$FILE_ROW_NUMBER` so a test can tell which file a row came from.
final class TableStore: Sendable {
    let queue: DatabaseQueue
    private let columnsByTable: [String: [String]]

    /// Opens (or creates) the database and a table for each pipe's target.
    init(path: String?, pipes: [PipeDefinition]) throws {
        // Readers (a test or benchmark counting rows) must not make a commit fail: wait for their locks.
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        queue = try path.map { try DatabaseQueue(path: $0, configuration: configuration) } ?? DatabaseQueue()
        var columnsByTable: [String: [String]] = [:]
        var definitions: [String: [(String, String)]] = [:]
        for pipe in pipes where definitions[pipe.table] == nil {
            let columns = pipe.columns.isEmpty ? [("RAW", "VARIANT")] : pipe.columns.map { ($0.name, $0.type.rawValue) }
            definitions[pipe.table] = columns
            columnsByTable[pipe.table] = columns.map(\.0) + ["METADATA$FILENAME", "METADATA$FILE_ROW_NUMBER"]
        }
        self.columnsByTable = columnsByTable
        try queue.write { db in
            try db.execute(sql: Self.memorySchema)
            for (table, columns) in definitions {
                let list =
                    (columns.map { "\(Self.quote($0.0)) \(Self.affinity($0.1))" }
                    + ["\"METADATA$FILENAME\" TEXT", "\"METADATA$FILE_ROW_NUMBER\" INTEGER"])
                    .joined(separator: ", ")
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS \(Self.quote(table)) (\(list))")
            }
        }
    }

    /// Inserts the rows of several files, inside the caller's transaction.
    func insertRows(_ batches: [(table: String, rows: [[DatabaseValue]])], _ db: Database) throws {
        for batch in batches where batch.rows.isEmpty == false {
            guard let columns = columnsByTable[batch.table] else { continue }
            let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
            let statement = try db.cachedStatement(
                sql: "INSERT INTO \(Self.quote(batch.table)) (\(columns.map(Self.quote).joined(separator: ", "))) "
                    + "VALUES (\(placeholders))")
            for row in batch.rows {
                try statement.execute(arguments: StatementArguments(row))
            }
        }
    }

    /// Rows of `table`, as text, ordered by file and row number (for tests and the admin API).
    func rows(of table: String) async throws -> [[String?]] {
        try await queue.read { db in
            let sql = "SELECT * FROM \(Self.quote(table)) ORDER BY \"METADATA$FILENAME\", \"METADATA$FILE_ROW_NUMBER\""
            return try Row.fetchAll(db, sql: sql).map { row in
                row.databaseValues.map(Self.text)
            }
        }
    }

    private static func text(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .null: return nil
        case .int64(let integer): return String(integer)
        case .double(let double): return String(double)
        case .string(let string): return string
        case .blob(let data): return data.base64EncodedString()
        }
    }

    private static func quote(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func affinity(_ type: String) -> String {
        switch type {
        case "NUMBER", "INTEGER", "BOOLEAN": return "NUMERIC"
        case "FLOAT": return "REAL"
        default: return "TEXT"
        }
    }
}
