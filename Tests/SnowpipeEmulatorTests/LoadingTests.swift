import Foundation
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("Staged files are really loaded into the target table")
struct LoadingTests {
    let fixture = try! EmulatorFixture()

    func load(_ name: String, _ contents: String, pipe: String = "DB.S.CSV_PIPE") async -> [String: Any] {
        fixture.stage.write(name, contents)
        _ = await fixture.insertFiles([name], pipe: pipe)
        await fixture.emulator.advanceClock(by: 10)
        return await fixture.insertReport(pipe: pipe).files.last ?? [:]
    }

    @Test func aCSVFileLandsRowForRowWithItsFileName() async throws {
        let entry = await load("a.csv", "ID,NAME,AMOUNT\n1,\"Smith, J\",2.5\r\n2,,3\n")
        #expect(entry["status"] as? String == "LOADED")
        #expect(entry["rowsParsed"] as? Int == 2)
        #expect(entry["rowsInserted"] as? Int == 2)
        #expect(entry["errorsSeen"] as? Int == 0)
        #expect(entry["firstError"] == nil)
        let rows = try await fixture.emulator.rows(of: "DB.S.T")
        #expect(rows.count == 2)
        #expect(rows[0] == ["1", "Smith, J", "2.5", "a.csv", "1"])
        #expect(rows[1][1] == nil)
        #expect(await fixture.emulator.statistics().rowsByTable["DB.S.T"] == 2)
    }

    @Test func skipFileFailsTheWholeFileOnOneBadRowAndReportsTheFirstError() async throws {
        let entry = await load("bad.csv", "ID,NAME,AMOUNT\n1,a,1\n2,b,notanumber\n3,c\n")
        #expect(entry["status"] as? String == "LOAD_FAILED")
        #expect(entry["rowsInserted"] as? Int == 0)
        #expect(entry["errorsSeen"] as? Int == 2)
        #expect(entry["errorLimit"] as? Int == 1)
        #expect(entry["firstError"] as? String == "Numeric value 'notanumber' is not recognized")
        #expect(entry["firstErrorLineNum"] as? Int == 3)
        #expect(entry["firstErrorCharacterPos"] as? Int == 5)
        #expect(entry["firstErrorColumnName"] as? String == #""DB.S.T"["AMOUNT":3]"#)
        #expect(try await fixture.emulator.rows(of: "DB.S.T").isEmpty)
    }

    @Test func continueLoadsTheGoodRowsAsPartiallyLoaded() async throws {
        let entry = await load("bad.csv", "ID,NAME,AMOUNT\n1,a,1\n2,b,x\n3,c,3\n", pipe: "DB.S.CONT_PIPE")
        #expect(entry["status"] as? String == "PARTIALLY_LOADED")
        #expect(entry["rowsParsed"] as? Int == 3)
        #expect(entry["rowsInserted"] as? Int == 2)
        #expect(try await fixture.emulator.rows(of: "DB.S.T").map { $0[0] } == ["1", "3"])
    }

    @Test func skipFileNFailsOnlyAtNErrors() async {
        let two = await load("two.csv", "ID,NAME,AMOUNT\n1,a,x\n2,b,y\n3,c,3\n", pipe: "DB.S.SKIP3_PIPE")
        #expect(two["status"] as? String == "PARTIALLY_LOADED")
        #expect(two["errorLimit"] as? Int == 3)
        let three = await load("three.csv", "ID,NAME,AMOUNT\n1,a,x\n2,b,y\n3,c,z\n4,d,4\n", pipe: "DB.S.SKIP3_PIPE")
        #expect(three["status"] as? String == "LOAD_FAILED")
        #expect(three["rowsInserted"] as? Int == 0)
    }

    @Test func abortStatementStopsAtTheFirstError() async {
        let entry = await load("a.csv", "ID,NAME,AMOUNT\nx,a,1\ny,b,2\n", pipe: "DB.S.ABORT_PIPE")
        #expect(entry["status"] as? String == "LOAD_FAILED")
        #expect(entry["errorsSeen"] as? Int == 1)
    }

    @Test func aColumnCountMismatchIsAnError() async {
        let entry = await load("a.csv", "ID,NAME,AMOUNT\n1,a\n")
        #expect((entry["firstError"] as? String)?.hasPrefix("Number of columns in file (2)") == true)
    }

    @Test func aMissingFileFailsWithASystemError() async {
        _ = await fixture.insertFiles(["nowhere.csv"])
        await fixture.emulator.advanceClock(by: 10)
        let entry = await fixture.insertReport().files.first ?? [:]
        #expect(entry["status"] as? String == "LOAD_FAILED")
        #expect((entry["systemError"] as? String)?.contains("s3://bucket/nowhere.csv") == true)
    }

    @Test func aPathEscapingTheStageIsNotFound() async {
        _ = await fixture.insertFiles(["../etc/passwd"])
        await fixture.emulator.advanceClock(by: 10)
        #expect(await fixture.insertReport().files.first?["status"] as? String == "LOAD_FAILED")
    }

    @Test func aGzipCompressedFileIsDecompressed() async throws {
        let csv = "ID,NAME,AMOUNT\n1,a,1\n2,b,2\n"
        let compressed = try Compression.gzip(Array(csv.utf8))
        fixture.stage.write("a.csv.gz", bytes: compressed)
        _ = await fixture.insertFiles(["a.csv.gz"])
        await fixture.emulator.advanceClock(by: 10)
        let entry = await fixture.insertReport().files.first ?? [:]
        #expect(entry["status"] as? String == "LOADED")
        #expect(entry["rowsInserted"] as? Int == 2)
        #expect(entry["fileSize"] as? Int == compressed.count)
    }

    @Test func ndjsonMatchesColumnsByNameAndReportsBadLines() async throws {
        let entry = await load(
            "e.json", "{\"id\": 1, \"payload\": {\"k\": [1,2]}}\n\n{\"ID\": 2}\n", pipe: "DB.S.NDJSON_PIPE")
        #expect(entry["status"] as? String == "LOADED")
        #expect(entry["rowsInserted"] as? Int == 2)
        let rows = try await fixture.emulator.rows(of: "DB.S.EVENTS")
        #expect(rows[0][1] == #"{"k":[1,2]}"#)
        #expect(rows[1][1] == nil)
        let bad = await load("bad.json", "{\"id\": 1}\n{oops\n", pipe: "DB.S.NDJSON_PIPE")
        #expect(bad["status"] as? String == "LOAD_FAILED")
        #expect(bad["firstErrorLineNum"] as? Int == 2)
    }

    @Test func aLargeFileReportsLoadInProgressBeforeLoaded() async throws {
        let fixture = try EmulatorFixture {
            $0.inProgressThresholdBytes = 100
            $0.inProgressSeconds = 30
        }
        let rows = (1...20).map { "\($0),name\($0),\($0).5" }.joined(separator: "\n")
        fixture.stage.write("big.csv", "ID,NAME,AMOUNT\n" + rows + "\n")
        _ = await fixture.insertFiles(["big.csv"])
        await fixture.emulator.advanceClock(by: 10)
        let first = await fixture.insertReport()
        #expect(first.files.map { $0["status"] as? String } == ["LOAD_IN_PROGRESS"])
        #expect(first.files.first?["complete"] as? Bool == false)
        await fixture.emulator.advanceClock(by: 30)
        let second = await fixture.insertReport(query: ["beginMark": first.object["nextBeginMark"] as! String])
        #expect(second.files.map { $0["status"] as? String } == ["LOADED"])
        #expect(second.files.first?["rowsInserted"] as? Int == 20)
        #expect(try await fixture.emulator.rows(of: "DB.S.T").count == 20)
    }
}
