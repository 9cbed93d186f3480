import IngestCore
import Testing

@Suite("Stream rows: CSV records read one at a time into JSON rows, numbered in file order, bad ones refused")
struct StreamRowReaderTests {
    func rows(_ text: String, _ format: StreamRowReader.Format) -> [String] {
        var reader = StreamRowReader(bytes: Array(text.utf8), format: format)
        var out: [String] = []
        while let row = reader.next() {
            switch row.result {
            case .success(let json): out.append("\(row.number) \(String(decoding: json, as: UTF8.self))")
            case .failure(let error): out.append("\(row.number) ! \(error.message)")
            }
        }
        return out
    }

    @Test func csvRowsBecomeJSONObjectsWithBlankLinesSkippedAndQuotedNewlinesKept() {
        let text = "\nID,NAME\r\n1,\"a\nb\"\n\n2,\n3,\"x\"\"y\",extra\n4,\"open"
        #expect(
            rows(text, .csv(delimiter: UInt8(ascii: ","), quote: UInt8(ascii: "\""))) == [
                #"1 {"ID":"1","NAME":"a\nb"}"#,
                #"2 {"ID":"2","NAME":null}"#,
                "3 ! line 7 has 3 field(s), the header has 2",
                "4 ! line 8: End of file reached while a quoted field was open (character 3)",
            ])
    }

    @Test func ndjsonLinesAreCheckedStrictly() {
        #expect(
            rows("{\"A\":1}\n\n{bad}\r\n[2]\n", .ndjson) == [
                #"1 {"A":1}"#, "2 ! line 3 is not valid JSON (RFC 8259): {bad}", "3 [2]",
            ])
    }

    /// Rows read from `text` given in pieces of random length, against the same text given whole.
    func piecewiseMatchesWhole(_ text: String, _ format: StreamRowReader.Format) {
        var generator = SystemRandomNumberGenerator()
        let bytes = Array(text.utf8)
        var whole = StreamRowReader(bytes: bytes, format: format)
        var expected: [StreamRowReader.Row] = []
        while let row = whole.next() { expected.append(row) }
        for _ in 0..<20 {
            var reader = StreamRowReader(format: format)
            var rows: [StreamRowReader.Row] = []
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + Int.random(in: 1...40, using: &generator))
                reader.append(Array(bytes[offset..<end]))
                offset = end
                while let row = reader.next() { rows.append(row) }
            }
            reader.finish()
            while let row = reader.next() { rows.append(row) }
            #expect(rows == expected)
        }
        #expect(expected.isEmpty == false)
    }

    @Test func csvGivenInPiecesIsReadAsIfWhole() {
        let text =
            "ID,NOTE\n" + (1...200).map { "\($0),\"multi\nline, \"\"quoted\"\"\"\r\n\n\($0),x,y\n" }.joined()
            + "9,\"unterminated"
        piecewiseMatchesWhole(text, .csv(delimiter: UInt8(ascii: ","), quote: UInt8(ascii: "\"")))
    }

    @Test func ndjsonGivenInPiecesIsReadAsIfWhole() {
        let text = (1...300).map { #"{"ID":\#($0)}"# + ($0 % 7 == 0 ? "\r\n\n  \n" : "\n") }.joined() + "{\"last\":1}"
        piecewiseMatchesWhole(text, .ndjson)
    }

    @Test func recordsOneAtATimeAreTheRecordsAllAtOnce() {
        let bytes = Array("a,b\n\"q\nq\",2\n,\n\"x\"y,3\n".utf8)
        let reader = CSVReader(delimiter: UInt8(ascii: ","), quote: UInt8(ascii: "\""))
        var cursor = CSVReader.Cursor()
        var lines: [Int] = []
        var values: [[String?]] = []
        while let record = reader.next(bytes, &cursor) {
            lines.append(record.line)
            values.append(record.fields.map(\.value))
        }
        let all = reader.records(bytes)
        #expect(all.map(\.line) == lines && lines == [1, 2, 4, 5])
        #expect(all.map { $0.fields.map(\.value) } == values)
        #expect(values[1] == ["q\nq", "2"] && values[2] == [nil, nil])
    }
}
