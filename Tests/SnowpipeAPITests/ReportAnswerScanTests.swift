import Foundation
import TestSupport
import Testing

@testable import SnowpipeAPI

/// The report answers read by `JSONScanner` must be exactly what `JSONDecoder` reads, and anything the scanner does
/// not take exactly so must be left to `JSONDecoder` (nil), never misread.
@Suite("Report answers: the scanner reads what JSONDecoder reads, or leaves the answer to it")
struct ReportAnswerScanTests {
    static func decoded<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(type, from: Data(text.utf8))
    }

    static let full = #"""
        { "pipe" : "DB.S.P", "completeResult": false, "nextBeginMark": "1_42",
          "statistics": {"activeFilesCount": 3, "nested": [1, -2.5e+3, {"x": [true, null]}]},
          "files": [
            {"path": "a \"quoted\"\\b\/c\n\u00e9\ud83d\ude00.csv", "stageLocation": "s3://b/", "fileSize": 10,
             "timeReceived": "2026-12-08T01:02:03.456Z", "lastInsertTime": "2026-12-08T01:02:04.000Z",
             "rowsInserted": 9007199254740993, "rowsParsed": 12, "errorsSeen": 0, "errorLimit": 1,
             "firstError": null, "firstErrorLineNum": -1, "firstErrorCharacterPos": 1.5E2,
             "firstErrorColumnName": "\"T\"[\"C\":1]", "systemError": null, "complete": true,
             "status": "LOADED"},
            {"status": "LOAD_FAILED", "path": "b.csv", "firstError": "Numeric value 'x' is not recognized"}
          ] }
        """#

    @Test func aFullAnswerWithEscapesUnknownFieldsAndLargeNumbersReadsAsJSONDecoderReadsIt() throws {
        let scanned = try #require(InsertReportResponse.scan(Array(Self.full.utf8)))
        #expect(scanned == Self.decoded(InsertReportResponse.self, Self.full))
        #expect(scanned.files.count == 2)
        #expect(scanned.files[0].path == "a \"quoted\"\\b/c\né😀.csv")
        #expect(scanned.files[0].rowsInserted == 9_007_199_254_740_993)  // above 2^53: read as an integer
        #expect(scanned.files[1].status == "LOAD_FAILED" && scanned.files[1].rowsInserted == nil)
        #expect(scanned.completeResult == false && scanned.nextBeginMark == "1_42")
    }

    @Test(arguments: [
        (#""completeResult": true"#, true), (#""completeResult": false"#, false),
        (#""completeResult": "FALSE""#, false), (#""completeResult": "True""#, true),
        (#""completeResult": "maybe""#, true), (#""completeResult": 0"#, true), (#""completeResult": null"#, true),
        (#""completeResult": {"a": [1]}"#, true), (#""other": 1"#, true),
    ])
    func completeResultIsTheFlexibleBooleanItWasBefore(member: String, expected: Bool) throws {
        let text = "{\(member), \"files\": null}"
        let scanned = try #require(InsertReportResponse.scan(Array(text.utf8)))
        #expect(scanned.completeResult == expected)
        #expect(scanned == Self.decoded(InsertReportResponse.self, text))
        #expect(scanned.files.isEmpty)
    }

    @Test func aHistoryAnswerReadsItsRangeFields() throws {
        let text = #"""
            {"pipe":"P","completeResult":"false","startTimeInclusive":"2026-12-08T00:00:00Z",
             "endTimeExclusive":"2026-12-08T01:00:00Z","rangeStartTime":"2026-12-08T00:00:01Z",
             "rangeEndTime":"2026-12-08T00:59:59Z","files":[{"path":"x","status":"LOADED","rowsInserted":1}]}
            """#
        let scanned = try #require(LoadHistoryScanResponse.scan(Array(text.utf8)))
        #expect(scanned == Self.decoded(LoadHistoryScanResponse.self, text))
        #expect(scanned.rangeEndTime == "2026-12-08T00:59:59Z" && scanned.completeResult == false)
    }

    /// Each is left to JSONDecoder: a type the scanner does not take as Decodable would, a duplicate key, a
    /// missing required field, or text that is not JSON.
    @Test(arguments: [
        #"{"files":[{"path":"a","status":"LOADED","rowsInserted":5.0}]}"#,
        #"{"files":[{"path":"a","status":"LOADED","rowsInserted":"5"}]}"#,
        #"{"files":[{"path":"a","path":"b","status":"LOADED"}]}"#,
        #"{"files":[{"path":null,"status":"LOADED"}]}"#,
        #"{"files":[{"path":"a"}]}"#,
        #"{"files":[{"path":"a","status":"LOADED"}]} x"#,
        #"{"files":[{"path":"a\q","status":"LOADED"}]}"#,
        #"{"files":[{"path":"a\ud800","status":"LOADED"}]}"#,
        "{\"files\":[{\"path\":\"a\u{01}\",\"status\":\"LOADED\"}]}",
        #"{"files":{"path":"a","status":"LOADED"}}"#,
        #"{"pipe":1}"#,
        #"[{"path":"a","status":"LOADED"}]"#,
        #"{"files":[{"path":"a","status":"LOADED"},]}"#,
        #"{"x":01}"#,
        "",
    ])
    func whatTheScannerDoesNotTakeExactlyIsLeftToJSONDecoder(text: String) {
        #expect(InsertReportResponse.scan(Array(text.utf8)) == nil)
    }

    @Test func randomAnswersReadTheSameBothWays() throws {
        var random = SeededRandom(seed: 24)
        let alphabet = Array("ab/\\\"é😀\n\t\u{01} ,:{}[]") + ["x"]
        func text() -> String {
            String((0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
        }
        func junk(_ depth: Int) -> Any {
            switch Int.random(in: 0..<(depth > 2 ? 4 : 6), using: &random) {
            case 0: return NSNull()
            case 1: return Bool.random(using: &random)
            case 2: return Double.random(in: -1e9...1e9, using: &random)
            case 3: return text()
            case 4: return (0..<Int.random(in: 0...3, using: &random)).map { _ in junk(depth + 1) }
            default: return Dictionary(uniqueKeysWithValues: (0..<3).map { ("k\($0)", junk(depth + 1)) })
            }
        }
        for _ in 0..<300 {
            var files: [[String: Any]] = []
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                var file: [String: Any] = [
                    "path": text(), "status": ["LOADED", "LOAD_FAILED"].randomElement(using: &random)!,
                ]
                for key in ["timeReceived", "firstError", "firstErrorColumnName", "systemError"]
                where Bool.random(using: &random) {
                    file[key] = Bool.random(using: &random) ? text() : NSNull()
                }
                for key in ["rowsInserted", "rowsParsed", "errorsSeen", "firstErrorLineNum"]
                where Bool.random(using: &random) {
                    file[key] =
                        Bool.random(using: &random) ? Int64.random(in: -5...Int64.max, using: &random) : NSNull()
                }
                file["extra\(Int.random(in: 0...3, using: &random))"] = junk(0)
                files.append(file)
            }
            var answer: [String: Any] = ["files": files, "unknown": junk(0)]
            if Bool.random(using: &random) { answer["completeResult"] = Bool.random(using: &random) }
            if Bool.random(using: &random) { answer["nextBeginMark"] = text() }
            let data = try JSONSerialization.data(withJSONObject: answer)
            let expected = try JSONDecoder().decode(InsertReportResponse.self, from: data)
            #expect(InsertReportResponse.scan(Array(data)) == expected, "\(String(decoding: data, as: UTF8.self))")
        }
    }
}
