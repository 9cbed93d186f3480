import Foundation
import IngestCore
import Logging
import Outbox

/// Writes one log entry per terminal file status, with the structured fields the journal handler turns into
/// `SNOWPIPED_*` fields (DESIGN.md, Observability), at a level that matches the outcome.
public enum FileOutcomeLog {
    /// Metadata keys, mapped by the journal handler to `SNOWPIPED_PIPE`, `SNOWPIPED_PATH`, ...
    public enum Key {
        public static let pipe = "snowpipe.pipe"
        public static let path = "file.path"
        public static let stagePath = "file.stage_path"
        public static let status = "file.status"
        public static let rowsInserted = "file.rows_inserted"
        public static let rowsParsed = "file.rows_parsed"
        public static let errors = "file.errors"
        public static let firstError = "file.first_error"
        public static let requestID = "snowpipe.request_id"
    }

    /// Nothing is built when the logger's level drops the entry (`LOADED` lines under `log_level: warning`).
    public static func log(_ file: FileRecord, logger: Logger) {
        let level = level(file.state)
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = [
            Key.pipe: .string(file.pipe), Key.path: .string(file.localPath), Key.stagePath: .string(file.stagePath),
            Key.status: .string(file.state.rawValue),
        ]
        if let rows = file.rowsInserted { metadata[Key.rowsInserted] = .string(String(rows)) }
        if let rows = file.rowsParsed { metadata[Key.rowsParsed] = .string(String(rows)) }
        if let errors = file.errorsSeen { metadata[Key.errors] = .string(String(errors)) }
        if let error = file.firstError ?? file.detail { metadata[Key.firstError] = .string(error) }
        if let requestID = file.requestID { metadata[Key.requestID] = .string(requestID) }
        logger.log(level: level, Logger.Message(stringLiteral: message(file)), metadata: metadata)
    }

    static func level(_ state: FileState) -> Logger.Level {
        switch state {
        case .loaded: return .notice
        case .partiallyLoaded, .skipped: return .warning
        default: return .error
        }
    }

    /// One line a person can read: what happened to which file, and why.
    public static func message(_ file: FileRecord) -> String {
        // An uploaded file is named by its local name; the versioned object name follows in parentheses.
        guard StageObjectName.isVersioned(file.stagePath) else { return message(file, name: file.stagePath) }
        let local = (file.localPath as NSString).lastPathComponent
        return message(file, name: local) + " (staged as \(file.stagePath))"
    }

    static func message(_ file: FileRecord, name: String) -> String {
        switch file.state {
        case .loaded:
            return "LOADED \(name) into \(file.pipe): \(count(file.rowsInserted ?? 0, "row"))"
        case .partiallyLoaded:
            return "PARTIALLY_LOADED \(name) into \(file.pipe): \(file.rowsInserted ?? 0) of "
                + "\(count(file.rowsParsed ?? 0, "row")), \(count(file.errorsSeen ?? 0, "error")); first error: "
                + describeError(file)
        case .loadFailed:
            return "LOAD_FAILED \(name) in \(file.pipe): \(describeError(file))"
        case .skipped:
            return "SKIPPED \(name) in \(file.pipe): \(file.detail ?? SkipExplanation.text)"
        case .rejected:
            return "REJECTED \(name) for \(file.pipe): \(file.detail ?? "not submittable")"
        case .notReported:
            return "NOT_REPORTED \(name) in \(file.pipe): \(file.detail ?? "no report before the deadline")"
        case .pending, .submitted:
            return "\(file.state.rawValue) \(name) in \(file.pipe)"
        }
    }

    /// `1 row`, `2 rows`.
    static func count(_ value: Int64, _ noun: String) -> String {
        "\(value) \(noun)\(value == 1 ? "" : "s")"
    }

    static func describeError(_ file: FileRecord) -> String {
        guard let first = file.firstError else { return file.detail ?? "no detail from Snowflake" }
        var where_: [String] = []
        if let line = file.firstErrorLine { where_.append("line \(line)") }
        if let column = file.firstErrorColumn { where_.append("column \(column)") }
        return where_.isEmpty ? first : "\(first) (\(where_.joined(separator: ", ")))"
    }
}
