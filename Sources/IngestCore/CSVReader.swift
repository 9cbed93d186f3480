/// Splits CSV bytes into records the way Snowflake's CSV reader does for the options the emulator supports:
/// one-byte field delimiter, `\n` or `\r\n` record delimiter, optional enclosing quote with `""` as an escaped
/// quote, quoted fields that may span lines.
public struct CSVReader: Sendable {
    /// One field: its text (nil for an unquoted empty field, which Snowflake loads as NULL) and where it starts.
    public struct Field: Sendable {
        public var value: String?
        public var quoted: Bool
        /// 1-based character position of the field in its line.
        public var position: Int
    }

    /// One record: its fields, the 1-based line it starts on, and a syntax error if it had one.
    public struct Record: Sendable {
        public var fields: [Field]
        public var line: Int
        public var syntaxError: (message: String, position: Int)?
        /// Ended by a record delimiter (not by the end of the bytes, where more of it may follow).
        public var terminated = false
        public var isBlank: Bool { fields.count == 1 && fields[0].value == nil && fields[0].quoted == false }
    }

    public let delimiter: UInt8
    public let quote: UInt8?

    /// A reader for `delimiter` and an optional enclosing `quote`.
    public init(delimiter: UInt8, quote: UInt8?) {
        self.delimiter = delimiter
        self.quote = quote
    }

    /// All records of `bytes`.
    public func records(_ bytes: [UInt8]) -> [Record] {
        var records: [Record] = []
        var cursor = Cursor()
        while let record = next(bytes, &cursor) { records.append(record) }
        return records
    }

    /// Where reading stands in a file's bytes: the next byte and its line.
    public struct Cursor: Sendable {
        public var index = 0
        public var line = 1
        public init() {}
    }

    /// The record at `cursor` (advanced past it), or nil at the end: a file is read one record at a time
    /// without holding every record.
    public func next(_ bytes: [UInt8], _ cursor: inout Cursor) -> Record? {
        var index = cursor.index
        var line = cursor.line
        let count = bytes.count
        guard index < count else { return nil }
        defer {
            cursor.index = index
            cursor.line = line
        }
        let startLine = line
        var fields: [Field] = []
        var lineStart = index
        var syntaxError: (String, Int)?
        var endOfRecord = false
        var terminated = false
        while endOfRecord == false {
            let fieldStart = index
            let position = fieldStart - lineStart + 1
            if let quote, index < count, bytes[index] == quote {
                // Quoted field.
                var value: [UInt8] = []
                index += 1
                var closed = false
                while index < count {
                    let byte = bytes[index]
                    if byte == quote {
                        if index + 1 < count, bytes[index + 1] == quote {
                            value.append(quote)
                            index += 2
                            continue
                        }
                        index += 1
                        closed = true
                        break
                    }
                    if byte == UInt8(ascii: "\n") {
                        line += 1
                        lineStart = index + 1
                    }
                    value.append(byte)
                    index += 1
                }
                if closed == false, syntaxError == nil {
                    syntaxError = ("End of file reached while a quoted field was open", position)
                }
                // After the closing quote: a delimiter, the end of the record, or garbage.
                var trailing = index
                while trailing < count, bytes[trailing] != delimiter, bytes[trailing] != UInt8(ascii: "\n") {
                    trailing += 1
                }
                if trailing > index, syntaxError == nil,
                    !(trailing == index + 1 && bytes[index] == UInt8(ascii: "\r"))
                {
                    let found = Character(Unicode.Scalar(bytes[index]))
                    let delimiterCharacter = Character(Unicode.Scalar(delimiter))
                    syntaxError = (
                        "Found character '\(found)' instead of field delimiter '\(delimiterCharacter)'",
                        index - lineStart + 1
                    )
                }
                index = trailing
                fields.append(
                    Field(value: String(decoding: value, as: UTF8.self), quoted: true, position: position))
            } else {
                while index < count, bytes[index] != delimiter, bytes[index] != UInt8(ascii: "\n") { index += 1 }
                var end = index
                if end > fieldStart, bytes[end - 1] == UInt8(ascii: "\r"),
                    index == count || bytes[index] == UInt8(ascii: "\n")
                {
                    end -= 1
                }
                let text = String(decoding: bytes[fieldStart..<end], as: UTF8.self)
                fields.append(Field(value: text.isEmpty ? nil : text, quoted: false, position: position))
            }
            if index < count, bytes[index] == delimiter {
                index += 1
                if index == count {
                    fields.append(Field(value: nil, quoted: false, position: index - lineStart + 1))
                }
            } else {
                endOfRecord = true
                if index < count {  // newline
                    index += 1
                    line += 1
                    terminated = true
                }
            }
        }
        return Record(fields: fields, line: startLine, syntaxError: syntaxError, terminated: terminated)
    }
}
