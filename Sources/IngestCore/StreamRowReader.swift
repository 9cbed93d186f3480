/// Reads the rows of one file for stream mode: NDJSON lines as they are, or CSV records (with a header line) as
/// JSON objects keyed by the header's column names, each value the field's text (an unquoted empty field is
/// null). Rows are numbered 1, 2, … in file order, bad ones included, so a row's number never depends on what
/// was sent before; a bad row (not strict JSON, wrong field count, over the size limit) is returned as an error
/// and is never sent. Blank lines are not rows.
///
/// Pure and incremental: it is given the file's (decompressed) bytes in blocks (`append`, then `finish` at the
/// end) and holds only what it has not turned into rows yet, so a large file is never held whole. `next()` is
/// nil when the rows so far are read: until `finished`, more bytes may bring more.
public struct StreamRowReader: Sendable {
    /// How a file's rows are written.
    public enum Format: Sendable, Equatable {
        /// One JSON text per line.
        case ndjson
        /// A header line naming the columns, then one record per line.
        case csv(delimiter: UInt8, quote: UInt8?)
    }

    /// One row: its number, and its JSON text or why it cannot be sent.
    public struct Row: Sendable, Equatable {
        public var number: Int64
        public var result: Result<[UInt8], RowError>
    }

    /// Why a row is not sent.
    public struct RowError: Error, Sendable, Equatable {
        public var message: String

        public init(message: String) { self.message = message }
    }

    /// A row's JSON text may be at most this long (Snowpipe Streaming's 4 MB per append must hold it).
    public let maximumRowBytes: Int
    /// The bytes not read yet start at `index`; what is before it is dropped now and then.
    private var bytes: [UInt8] = []
    private let format: Format
    private var index = 0
    private var number: Int64 = 0
    private var line = 0
    private var columns: [String]?
    private var csv: CSVReader?
    /// CSV is parsed one record at a time: its cursor's index is into `bytes`, its line counts from the file start.
    private var csvCursor = CSVReader.Cursor()
    /// No more bytes will come.
    public private(set) var finished = false

    /// A reader to be given the file's bytes with `append` and `finish`.
    public init(format: Format, maximumRowBytes: Int = StreamingLimits.maximumRowBytes) {
        self.format = format
        self.maximumRowBytes = maximumRowBytes
        if case .csv(let delimiter, let quote) = format { csv = CSVReader(delimiter: delimiter, quote: quote) }
    }

    /// A reader over a whole file's bytes.
    public init(bytes: [UInt8], format: Format, maximumRowBytes: Int = StreamingLimits.maximumRowBytes) {
        self.init(format: format, maximumRowBytes: maximumRowBytes)
        append(bytes)
        finish()
    }

    /// More of the file.
    public mutating func append(_ more: [UInt8]) {
        precondition(finished == false, "bytes appended after finish()")
        let consumed = csv == nil ? index : csvCursor.index
        if consumed >= 1 << 20 || consumed == bytes.count {
            bytes.removeFirst(consumed)
            index = 0
            csvCursor.index = 0
        }
        bytes += more
    }

    /// The file ended: its last line counts even without a newline.
    public mutating func finish() { finished = true }

    /// The next row, or nil when the rows so far are read (at the end of the file once `finished`).
    public mutating func next() -> Row? {
        switch format {
        case .ndjson: return nextLine()
        case .csv: return nextRecord()
        }
    }

    private mutating func nextLine() -> Row? {
        while index < bytes.count {
            let start = index
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            if end == bytes.count, finished == false { return nil }  // a line still being given
            index = end + 1
            line += 1
            var stop = end
            if stop > start, bytes[stop - 1] == UInt8(ascii: "\r") { stop -= 1 }
            let text = bytes[start..<stop]
            if text.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            number += 1
            guard text.count <= maximumRowBytes else {
                return Row(number: number, result: .failure(tooLong(text.count)))
            }
            guard StrictJSON.isValid(text) else {
                let preview = String(decoding: text.prefix(60), as: UTF8.self)
                return Row(
                    number: number,
                    result: .failure(RowError(message: "line \(line) is not valid JSON (RFC 8259): \(preview)")))
            }
            return Row(number: number, result: .success(Array(text)))
        }
        return nil
    }

    /// The next complete CSV record that is not blank (a record the bytes so far may cut short waits for more).
    private mutating func nextCSVRecord() -> CSVReader.Record? {
        guard let csv else { return nil }
        while true {
            let before = csvCursor
            guard let record = csv.next(bytes, &csvCursor) else { return nil }
            if record.terminated == false, finished == false {
                csvCursor = before
                return nil
            }
            if record.isBlank == false { return record }
        }
    }

    private mutating func nextRecord() -> Row? {
        if columns == nil {
            guard let header = nextCSVRecord() else { return nil }
            columns = header.fields.map { $0.value ?? "" }
        }
        guard let columns, let record = nextCSVRecord() else { return nil }
        number += 1
        if let error = record.syntaxError {
            return Row(
                number: number,
                result: .failure(
                    RowError(message: "line \(record.line): \(error.message) (character \(error.position))")))
        }
        guard record.fields.count == columns.count else {
            return Row(
                number: number,
                result: .failure(
                    RowError(
                        message: "line \(record.line) has \(record.fields.count) field(s), the header has "
                            + "\(columns.count)")))
        }
        var text: [UInt8] = [UInt8(ascii: "{")]
        for (position, field) in record.fields.enumerated() {
            if position > 0 { text.append(UInt8(ascii: ",")) }
            JSONText.appendString(columns[position], to: &text)
            text.append(UInt8(ascii: ":"))
            if let value = field.value {
                JSONText.appendString(value, to: &text)
            } else {
                text += Array("null".utf8)
            }
        }
        text.append(UInt8(ascii: "}"))
        guard text.count <= maximumRowBytes else { return Row(number: number, result: .failure(tooLong(text.count))) }
        return Row(number: number, result: .success(text))
    }

    private func tooLong(_ count: Int) -> RowError {
        RowError(
            message: "row \(number) is \(count) bytes; Snowpipe Streaming takes rows of at most \(maximumRowBytes)")
    }
}

/// JSON text building, stdlib only.
public enum JSONText {
    /// Appends `string` as a JSON string literal (RFC 8259 escapes).
    public static func appendString(_ string: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): output += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): output += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): output += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): output += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")]
                output += [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
