import Foundation

/// A `PUT file://<path> @<stage>[/<path>] [OPTION = value ...]` statement, parsed as Snowflake parses it: the source
/// and the target each either bare (ending at whitespace) or a single-quoted string literal with Snowflake's escapes
/// (`\'`, `''`, `\\` and the other backslash escapes of "String & binary data types: escape sequences"); the PUT
/// page requires the quotes when a path has spaces or special characters, so a bare target with a space leaves
/// the rest of the path where the options are and is refused. Options in any order, `=` with or without spaces,
/// case-insensitive.
struct PutStatement: Sendable, Equatable {
    /// The local path as written, without `file://` (the server never reads it: it is echoed back).
    var sourcePath: String
    /// The stage name as written after `@`, without the sub-path (`DB.S.STAGE`, `%TABLE`, `~`).
    var stage: String
    /// The sub-path after the stage name, without leading or trailing `/` ("" for none).
    var subPath: String
    var autoCompress = true
    /// Lower-cased `SOURCE_COMPRESSION` (`auto_detect` by default).
    var sourceCompression = "auto_detect"
    var overwrite = false
    var parallel = 4

    /// Parses `sql`; nil when it is not a PUT, or a message saying what is wrong.
    static func parse(_ sql: String) -> Result<PutStatement, Invalid>? {
        var rest = Substring(sql.trimmingCharacters(in: .whitespacesAndNewlines))
        guard rest.prefix(3).uppercased() == "PUT", rest.dropFirst(3).first?.isWhitespace == true else {
            return nil
        }
        rest = rest.dropFirst(3).drop { $0.isWhitespace }
        guard let source = Self.token(&rest) else { return .failure(Invalid("PUT needs a file:// source")) }
        guard source.lowercased().hasPrefix("file://") else {
            return .failure(Invalid("the source \(source) must be a file:// URI"))
        }
        rest = rest.drop { $0.isWhitespace }
        guard let target = Self.token(&rest), target.hasPrefix("@"), target.count > 1 else {
            return .failure(Invalid("PUT needs a target stage (@name[/path])"))
        }
        var statement = PutStatement(sourcePath: String(source.dropFirst("file://".count)), stage: "", subPath: "")
        let location = target.dropFirst()
        if let slash = location.firstIndex(of: "/") {
            statement.stage = String(location[..<slash])
            statement.subPath = location[location.index(after: slash)...].split(separator: "/").joined(separator: "/")
        } else {
            statement.stage = String(location)
        }
        let options = rest.replacingOccurrences(of: " =", with: "=").replacingOccurrences(of: "= ", with: "=")
        for option in options.split(whereSeparator: { $0.isWhitespace }) {
            let parts = option.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return .failure(Invalid("unexpected `\(option)` in the PUT options")) }
            let value = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
            switch parts[0].uppercased() {
            case "AUTO_COMPRESS": statement.autoCompress = value.uppercased() == "TRUE"
            case "SOURCE_COMPRESSION": statement.sourceCompression = value.lowercased()
            case "OVERWRITE": statement.overwrite = value.uppercased() == "TRUE"
            case "PARALLEL":
                guard let number = Int(value), (1...99).contains(number) else {
                    return .failure(Invalid("PARALLEL must be 1 to 99, not \(value)"))
                }
                statement.parallel = number
            default: return .failure(Invalid("unknown PUT option \(parts[0])"))
            }
        }
        return .success(statement)
    }

    /// Why a PUT statement cannot be run.
    struct Invalid: Error, Equatable {
        let message: String
        init(_ message: String) { self.message = message }
    }

    /// The next whitespace-separated token, or a single-quoted string literal (quotes removed, escapes applied);
    /// nil when there is none or a literal is not closed.
    private static func token(_ text: inout Substring) -> String? {
        if text.first == "'" {
            var value = ""
            var index = text.index(after: text.startIndex)
            while index < text.endIndex {
                let character = text[index]
                index = text.index(after: index)
                if character == "'" {
                    // `''` inside a literal is one quote.
                    if index < text.endIndex, text[index] == "'" {
                        value.append("'")
                        index = text.index(after: index)
                        continue
                    }
                    text = text[index...]
                    return value
                }
                if character == "\\", index < text.endIndex {
                    let escaped = text[index]
                    index = text.index(after: index)
                    switch escaped {
                    case "n": value.append("\n")
                    case "t": value.append("\t")
                    case "r": value.append("\r")
                    case "0": value.append("\0")
                    case "b": value.append("\u{08}")
                    case "f": value.append("\u{0C}")
                    default: value.append(escaped)  // `\'`, `\"`, `\\` and any other character: itself
                    }
                    continue
                }
                value.append(character)
            }
            return nil
        }
        let end = text.firstIndex { $0.isWhitespace } ?? text.endIndex
        // A quote inside a bare token opens a literal the lexer never sees closed: a syntax error.
        guard end > text.startIndex, text[..<end].contains("'") == false else { return nil }
        let value = String(text[..<end])
        text = text[end...]
        return value
    }
}
