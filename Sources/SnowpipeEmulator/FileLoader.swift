import Codecs
import Foundation
import GRDB
import IngestCore

/// What loading one file produced: the counts and errors Snowpipe reports, and the rows to insert.
struct LoadOutcome: Sendable {
    var status: LoadStatus
    var fileSize: Int
    var rowsParsed: Int
    var errorsSeen: Int
    var errorLimit: Int
    var firstError: FirstError?
    var systemError: String?
    /// Rows to insert (empty when the file failed), each ending with the file name and row number.
    var rows: [[DatabaseValue]]

    var rowsInserted: Int { rows.count }

    /// The first bad row, as `firstError*` fields report it.
    struct FirstError: Sendable {
        var message: String
        var line: Int
        var characterPosition: Int
        var columnName: String?
    }
}

/// Reads a staged file and turns it into rows for a pipe's table, applying the pipe's file format and ON_ERROR.
/// Pure with respect to the emulator's state: it only reads the file.
struct FileLoader: Sendable {
    let pipe: PipeDefinition
    let policy: OnErrorPolicy

    /// Loads `path` (relative to the stage directory).
    func load(path: String) -> LoadOutcome {
        do {
            return load(bytes: try read(path: path), path: path)
        } catch {
            return failed(systemError: error.message, fileSize: 0)
        }
    }

    /// Loads a staged file's bytes (as stored: compressed or not, already decrypted).
    func load(bytes: [UInt8], path: String) -> LoadOutcome {
        let content: [UInt8]
        let compressed =
            pipe.format.compression == .gzip || (pipe.format.compression == .auto && Gzip.isGzip(bytes))
        if compressed {
            do {
                content = try Gzip.decompress(bytes)
            } catch {
                return failed(
                    systemError: "Invalid data encountered during decompression for file: \(error.message)",
                    fileSize: bytes.count)
            }
        } else {
            content = bytes
        }
        var outcome: LoadOutcome
        switch pipe.format.type {
        case .csv: outcome = loadCSV(content, path: path)
        case .ndjson: outcome = loadNDJSON(content, path: path)
        }
        outcome.fileSize = bytes.count
        return outcome
    }

    private func read(path: String) throws(LoadFailure) -> [UInt8] {
        let stage = URL(fileURLWithPath: pipe.stageDirectory).standardizedFileURL
        let file = stage.appendingPathComponent(path).standardizedFileURL
        let location = (pipe.stageLocation ?? stage.absoluteString)
        let notFound = LoadFailure.system(
            "Remote file '\(location)\(path)' was not found. There are several potential causes. "
                + "The file might not exist. The required credentials may be missing or invalid. "
                + "If you are running a copy command, please make sure files are not deleted when they are "
                + "being loaded or files are not being loaded into two different tables concurrently with auto "
                + "purge option.")
        guard file.path.hasPrefix(stage.path + "/") else { throw notFound }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory), !isDirectory.boolValue
        else { throw notFound }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw .system("Failed to read file '\(location)\(path)': access denied or I/O error")
        }
        return [UInt8](data)
    }

    func failed(systemError: String, fileSize: Int) -> LoadOutcome {
        LoadOutcome(
            status: .loadFailed, fileSize: fileSize, rowsParsed: 0, errorsSeen: 1,
            errorLimit: policy.outcome(parsed: 0, errors: 0).errorLimit, firstError: nil,
            systemError: systemError, rows: [])
    }

    private func columnLabel(_ index: Int) -> String {
        JSONRowMapper(table: pipe.table, columns: pipe.columns).label(index)
    }

    private func loadCSV(_ bytes: [UInt8], path: String) -> LoadOutcome {
        let reader = CSVReader(
            delimiter: pipe.format.fieldDelimiter.utf8.first ?? UInt8(ascii: ","),
            quote: pipe.format.fieldOptionallyEnclosedBy?.utf8.first)
        var records = reader.records(bytes)
        records.removeFirst(min(pipe.format.skipHeader, records.count))
        if pipe.format.skipBlankLines { records.removeAll { $0.isBlank } }
        var accumulator = Accumulator(policy: policy)
        for record in records {
            if let error = record.syntaxError {
                accumulator.fail(.init(message: error.message, line: record.line, characterPosition: error.position))
            } else if record.fields.count != pipe.columns.count {
                accumulator.fail(
                    .init(
                        message: "Number of columns in file (\(record.fields.count)) does not match that of the "
                            + "corresponding table (\(pipe.columns.count)), use file format option "
                            + "error_on_column_count_mismatch=false to ignore this error",
                        line: record.line, characterPosition: 1,
                        columnName: columnLabel(min(record.fields.count, pipe.columns.count - 1))))
            } else {
                var row: [DatabaseValue] = []
                var rowError: LoadOutcome.FirstError?
                for (index, field) in record.fields.enumerated() {
                    switch ValueConverter.convert(field.value, to: pipe.columns[index].type) {
                    case .success(let value): row.append(value)
                    case .failure(let error):
                        rowError = .init(
                            message: error.message, line: record.line, characterPosition: field.position,
                            columnName: columnLabel(index))
                    }
                    if rowError != nil { break }
                }
                if let rowError { accumulator.fail(rowError) } else { accumulator.accept(row, path: path) }
            }
            if accumulator.shouldStop { break }
        }
        return accumulator.outcome()
    }

    private func loadNDJSON(_ bytes: [UInt8], path: String) -> LoadOutcome {
        var accumulator = Accumulator(policy: policy)
        let mapper = JSONRowMapper(table: pipe.table, columns: pipe.columns)
        var line = 0
        for slice in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            line += 1
            let text = String(decoding: slice, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            guard let object = JSONValue.parse(Array(text.utf8)) else {
                accumulator.fail(
                    .init(message: "Error parsing JSON: \(text.prefix(80))", line: line, characterPosition: 1))
                if accumulator.shouldStop { break }
                continue
            }
            switch mapper.row(for: object, text: text) {
            case .success(let row): accumulator.accept(row, path: path)
            case .failure(let mismatch):
                accumulator.fail(
                    .init(message: mismatch.message, line: line, characterPosition: 1, columnName: mismatch.columnName))
            }
            if accumulator.shouldStop { break }
        }
        return accumulator.outcome()
    }

    /// Counts rows and errors and decides the outcome.
    private struct Accumulator {
        let policy: OnErrorPolicy
        var parsed = 0
        var errors = 0
        var firstError: LoadOutcome.FirstError?
        var rows: [[DatabaseValue]] = []

        init(policy: OnErrorPolicy) { self.policy = policy }

        var shouldStop: Bool { policy.stopsAtFirstError && errors > 0 }

        mutating func accept(_ row: [DatabaseValue], path: String) {
            parsed += 1
            rows.append(row + [path.databaseValue, Int64(parsed).databaseValue])
        }

        mutating func fail(_ error: LoadOutcome.FirstError) {
            parsed += 1
            errors += 1
            if firstError == nil { firstError = error }
        }

        func outcome() -> LoadOutcome {
            let decision = policy.outcome(parsed: parsed, errors: errors)
            return LoadOutcome(
                status: decision.status, fileSize: 0, rowsParsed: parsed, errorsSeen: errors,
                errorLimit: decision.errorLimit, firstError: firstError, systemError: nil,
                rows: decision.loadsGoodRows ? rows : [])
        }
    }
}
