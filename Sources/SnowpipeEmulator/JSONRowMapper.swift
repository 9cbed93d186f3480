import GRDB

/// Maps a JSON object onto a table's columns by name (case-insensitively, as `MATCH_BY_COLUMN_NAME`), converting
/// each value to its column's type. Shared by NDJSON files and streamed rows.
struct JSONRowMapper: Sendable {
    /// Target table (for error labels).
    let table: String
    /// Target columns; empty means one VARIANT column holding the whole document.
    let columns: [PipeDefinition.Column]

    /// Why a document does not fit the table.
    struct Mismatch: Error, Sendable {
        var message: String
        /// `"TABLE"["COLUMN":n]`, when one column is at fault.
        var columnName: String?
    }

    /// The row for `document`, whose text is `text` (stored whole when the table has no columns).
    func row(for document: JSONValue, text: @autoclosure () -> String) -> Result<[DatabaseValue], Mismatch> {
        if columns.isEmpty { return .success([text().databaseValue]) }
        guard case .object(let dictionary) = document else {
            return .failure(Mismatch(message: "JSON document is not an object: \(text().prefix(80))"))
        }
        let byName = Dictionary(dictionary.map { ($0.key.uppercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        var row: [DatabaseValue] = []
        row.reserveCapacity(columns.count)
        for (index, column) in columns.enumerated() {
            switch ValueConverter.convert(byName[column.name.uppercased()]?.loadText, to: column.type) {
            case .success(let value): row.append(value)
            case .failure(let error): return .failure(Mismatch(message: error.message, columnName: label(index)))
            }
        }
        return .success(row)
    }

    /// `"TABLE"["COLUMN":n]`, as Snowflake names a column in load errors.
    func label(_ index: Int) -> String {
        "\"\(table)\"[\"\(columns[index].name)\":\(index + 1)]"
    }
}
