import Foundation
import GRDB

/// Converts field text to a column's type, with Snowflake's error messages for values that do not fit.
enum ValueConverter {
    /// The SQLite value for `text` in a column of `type`, or the error message Snowflake would give.
    static func convert(_ text: String?, to type: PipeDefinition.ColumnType) -> Result<DatabaseValue, ConversionError> {
        guard let text, text != "\\N" else { return .success(.null) }
        switch type {
        case .varchar, .variant:
            return .success(text.databaseValue)
        case .number, .integer:
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if let integer = Int64(trimmed) { return .success(integer.databaseValue) }
            if isDecimal(trimmed), let double = Double(trimmed) {
                return .success(type == .integer ? Int64(double.rounded()).databaseValue : double.databaseValue)
            }
            return .failure(ConversionError("Numeric value '\(text)' is not recognized"))
        case .float:
            if let double = Double(text.trimmingCharacters(in: .whitespaces)) { return .success(double.databaseValue) }
            return .failure(ConversionError("Numeric value '\(text)' is not recognized"))
        case .boolean:
            switch text.lowercased() {
            case "true", "t", "yes", "y", "on", "1": return .success(true.databaseValue)
            case "false", "f", "no", "n", "off", "0": return .success(false.databaseValue)
            default: return .failure(ConversionError("Boolean value '\(text)' is not recognized"))
            }
        case .date:
            guard isDate(text) else { return .failure(ConversionError("Date '\(text)' is not recognized")) }
            return .success(text.databaseValue)
        case .timestamp:
            if let date = Timestamp.parse(text) { return .success(Timestamp.format(date).databaseValue) }
            if isSpaceTimestamp(text) { return .success(text.databaseValue) }
            return .failure(ConversionError("Timestamp '\(text)' is not recognized"))
        }
    }

    /// A message explaining why a value does not fit its column.
    struct ConversionError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    private static func isDecimal(_ text: String) -> Bool {
        text.wholeMatch(of: /[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/) != nil
    }

    private static func isDate(_ text: String) -> Bool {
        guard let match = text.wholeMatch(of: /(\d{4})-(\d{2})-(\d{2})/),
            let month = Int(match.2), let day = Int(match.3)
        else { return false }
        return (1...12).contains(month) && (1...31).contains(day)
    }

    private static func isSpaceTimestamp(_ text: String) -> Bool {
        text.wholeMatch(of: /\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?/) != nil
    }
}
