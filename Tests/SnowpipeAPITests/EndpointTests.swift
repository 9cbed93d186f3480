import Foundation
import SnowpipeAPI
import Testing

@Suite("URLs are built and encoded as the official SDKs build them")
struct EndpointTests {
    let local = SnowflakeEndpoint(scheme: "http", host: "127.0.0.1", port: 18080)

    @Test func aQuotedPipeNameIsPercentEncoded() {
        #expect(SnowflakeEndpoint.percentEncode(#"DB.SCH."My Pipe""#) == "DB.SCH.%22My%20Pipe%22")
        #expect(SnowflakeEndpoint.percentEncode("db/x?y#z") == "db%2Fx%3Fy%23z")
    }

    @Test func timestampsInTheQueryAreEncoded() {
        let url = local.loadHistoryScanURL(
            pipe: "DB.S.P", requestID: "r", start: "2024-01-01T00:00:00+01:00", end: "2026-11-21T22:34:19.371Z")
        #expect(
            url == "http://127.0.0.1:18080/v1/data/pipes/DB.S.P/loadHistoryScan?requestId=r"
                + "&startTimeInclusive=2024-01-01T00%3A00%3A00%2B01%3A00&endTimeExclusive=2026-11-21T22%3A34%3A19.371Z")
    }

    @Test func insertFilesAsksForSkippedFiles() {
        #expect(
            local.insertFilesURL(pipe: "DB.S.P", requestID: "abc", showSkippedFiles: true)
                == "http://127.0.0.1:18080/v1/data/pipes/DB.S.P/insertFiles?requestId=abc&showSkippedFiles=true")
    }

    @Test func insertReportSendsTheMarkOnlyWhenThereIsOne() {
        #expect(!local.insertReportURL(pipe: "P", requestID: "r", beginMark: nil).contains("beginMark"))
        #expect(local.insertReportURL(pipe: "P", requestID: "r", beginMark: "1_39").hasSuffix("&beginMark=1_39"))
    }

    @Test func theAccountHostIsHTTPSWithoutTheDefaultPort() {
        let endpoint = SnowflakeEndpoint.forAccount("MyOrg-MyAcct")
        #expect(endpoint.baseURL == "https://myorg-myacct.snowflakecomputing.com")
        #expect(SnowflakeEndpoint(scheme: "https", host: "h", port: 8443).baseURL == "https://h:8443")
    }
}

@Suite("Wire types tolerate what servers really send")
struct WireTypeTests {
    func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(json.utf8))
    }

    @Test func completeResultMayBeABooleanOrAString() throws {
        #expect(try decode(InsertReportResponse.self, #"{"completeResult":false,"files":[]}"#).completeResult == false)
        #expect(
            try decode(LoadHistoryScanResponse.self, #"{"completeResult":"false","files":[]}"#).completeResult == false)
        #expect(try decode(LoadHistoryScanResponse.self, #"{"completeResult":"true"}"#).completeResult == true)
    }

    @Test func unknownFieldsAndMissingOptionalsAreFine() throws {
        let report = try decode(
            InsertReportResponse.self,
            #"{"pipe":"P","nextBeginMark":"1_0","statistics":{"activeFilesCount":0},"files":[{"path":"a","status":"LOADED","newField":1}]}"#
        )
        #expect(report.files == [FileLoadReport(path: "a", status: "LOADED")])
        #expect(report.completeResult == true)
        let inserted = try decode(InsertFilesResponse.self, #"{"requestId":"x","status":"success"}"#)
        #expect(inserted.responseCode == nil)
        #expect(inserted.skippedFiles == nil)
    }

    @Test func theBodyCarriesPathAndSize() throws {
        let body = try JSONEncoder().encode(InsertFilesRequest(files: [StagedFile(path: "a/b.csv", size: 12)]))
        let object = try JSONSerialization.jsonObject(with: body) as? [String: Any]
        let files = object?["files"] as? [[String: Any]]
        #expect(files?.first?["path"] as? String == "a/b.csv")
        #expect(files?.first?["size"] as? Int == 12)
    }

    @Test func theErrorEnvelopeAcceptsNumericCodes() throws {
        #expect(try decode(SnowflakeErrorBody.self, #"{"code":390144,"message":"m"}"#).code == "390144")
        #expect(try decode(SnowflakeErrorBody.self, #"{"code":"390144","success":false}"#).code == "390144")
    }
}
