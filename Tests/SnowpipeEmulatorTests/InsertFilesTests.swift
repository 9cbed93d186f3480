import Foundation
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("insertFiles follows the documented contract")
struct InsertFilesTests {
    let fixture = try! EmulatorFixture()

    func post(_ body: String, contentType: String, query: [String: String] = [:]) async -> EmulatorResponse {
        await fixture.emulator.handle(
            EmulatorRequest(
                method: "POST", path: "/v1/data/pipes/DB.S.CSV_PIPE/insertFiles", query: query,
                headers: ["Authorization": "Bearer \(fixture.token())", "Content-Type": contentType],
                body: Array(body.utf8)))
    }

    @Test func aJSONListIsAcceptedAndTheRequestIdEchoed() async {
        let response = await fixture.insertFiles(["a.csv", "b.csv"], requestID: "abc-123")
        #expect(response.status == 200)
        #expect(response.object["responseCode"] as? String == "SUCCESS")
        #expect(response.object["requestId"] as? String == "abc-123")
        #expect(await fixture.emulator.queuedLoads == 2)
    }

    @Test func withoutARequestIdNoneIsEchoed() async {
        let response = await fixture.insertFiles(["a.csv"], requestID: nil)
        #expect(response.status == 200)
        #expect(response.object["requestId"] == nil)
    }

    @Test func sizeMayBeNullAsThePythonSDKSendsIt() async {
        let response = await post(
            #"{"files": [{"path": "a.csv", "size": null}, {"path": "b.csv", "size": 5}]}"#,
            contentType: "application/json; charset=UTF-8")
        #expect(response.status == 200)
    }

    @Test func aPlainTextListIsAccepted() async {
        let response = await post("a.csv\r\nsub/b.csv\n", contentType: "text/plain")
        #expect(response.status == 200)
        #expect(await fixture.emulator.queuedLoads == 2)
        #expect(await fixture.emulator.receivedPaths(pipe: "DB.S.CSV_PIPE") == ["a.csv": 1, "sub/b.csv": 1])
    }

    @Test func sizeWithPlainTextIs400() async {
        let response = await post(#"{"files":[{"path":"a.csv","size":1}]}"#, contentType: "text/plain")
        #expect(response.status == 400)
        #expect(await fixture.emulator.queuedLoads == 0)
    }

    @Test func anotherContentTypeIs415() async {
        #expect(await post("a.csv", contentType: "application/xml").status == 415)
    }

    @Test func anEmptyListIs400() async {
        #expect(await post(#"{"files": []}"#, contentType: "application/json").status == 400)
        #expect(await post("\n", contentType: "text/plain").status == 400)
    }

    @Test func moreThan5000FilesIs400AsTheAPIPageSays() async {
        let response = await fixture.insertFiles((0...5000).map { "f\($0).csv" })
        #expect(response.status == 400)
        #expect(await fixture.emulator.queuedLoads == 0)
        #expect(await fixture.insertFiles((0..<5000).map { "f\($0).csv" }).status == 200)
    }

    @Test func moreThan5000FilesCanBeConfiguredToAnswer429() async throws {
        let fixture = try EmulatorFixture { $0.tooManyFilesStatus = 429 }
        #expect(await fixture.insertFiles((0...5000).map { "f\($0).csv" }).status == 429)
    }

    @Test func aPathOver1024UTF8BytesIs400() async {
        let exactly = String(repeating: "é", count: 512)  // 1024 bytes
        #expect(await fixture.insertFiles([exactly]).status == 200)
        let over = exactly + "x"
        let response = await fixture.insertFiles([over])
        #expect(response.status == 400)
    }

    @Test func anUnparsableBodyIs500AndAWrongShapeIs400() async {
        #expect(await post("{not json", contentType: "application/json").status == 500)
        #expect(await post(#"{"paths": ["a"]}"#, contentType: "application/json").status == 400)
        #expect(await post(#"{"files": [{"size": 3}]}"#, contentType: "application/json").status == 400)
        #expect(await post(#"{"files": [{"path": "a", "size": -1}]}"#, contentType: "application/json").status == 400)
    }

    @Test func aReceivedPathIsSkippedAndListedWhenAsked() async {
        _ = await fixture.insertFiles(["a.csv"])
        let again = await fixture.insertFiles(["a.csv", "b.csv"], showSkipped: true)
        #expect(again.status == 200)
        #expect(again.object["skippedFiles"] as? [String] == ["a.csv"])
        #expect(await fixture.emulator.queuedLoads == 2)
        let quiet = await fixture.insertFiles(["a.csv"])
        #expect(quiet.object["skippedFiles"] == nil)
        #expect(await fixture.emulator.statistics().pathsReceived == 4)
        #expect(await fixture.emulator.receivedPaths(pipe: "DB.S.CSV_PIPE")["a.csv"] == 3)
    }

    @Test func aPathIsSkippedFor14DaysEvenAfterAFailedLoadThenAcceptedAgain() async {
        _ = await fixture.insertFiles(["missing.csv"])
        await fixture.emulator.advanceClock(by: 60)
        #expect(await fixture.insertReport().files.first?["status"] as? String == "LOAD_FAILED")
        fixture.stage.write("missing.csv", "ID,NAME,AMOUNT\n1,a,1.5\n")
        await fixture.emulator.advanceClock(by: 13 * 86_400)
        let skipped = await fixture.insertFiles(["missing.csv"], showSkipped: true)
        #expect(skipped.object["skippedFiles"] as? [String] == ["missing.csv"])
        await fixture.emulator.advanceClock(by: 86_400)
        let accepted = await fixture.insertFiles(["missing.csv"], showSkipped: true)
        #expect(accepted.object["skippedFiles"] as? [String] == [])
        await fixture.emulator.advanceClock(by: 60)
        #expect(await fixture.insertReport().files.last?["status"] as? String == "LOADED")
    }

    @Test func aPatternPipeListsAndSkipsFilesThatDoNotMatch() async {
        let response = await fixture.insertFiles(["a.csv", "b.txt"], pipe: "DB.S.PATTERN_PIPE")
        #expect(response.object["unmatchedPatternFiles"] as? [String] == ["b.txt"])
        #expect(await fixture.emulator.queuedLoads == 1)
        let plain = await fixture.insertFiles(["c.txt"])
        #expect(plain.object["unmatchedPatternFiles"] == nil)
    }
}
