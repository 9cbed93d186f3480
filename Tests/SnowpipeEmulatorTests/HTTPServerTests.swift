import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("The emulator over real HTTP on loopback")
struct HTTPServerTests {
    @Test func aRoundTripOverHTTPLoadsTheFile() async throws {
        let fixture = try EmulatorFixture { $0.loadDelaySeconds = 0 }
        fixture.stage.write("data/a.csv", "ID,NAME,AMOUNT\n1,a,1\n")
        let token = fixture.token()
        try await LiveEmulator.withServer(fixture.emulator) { base in
            var insert = HTTPClientRequest(url: "\(base)/v1/data/pipes/DB.S.CSV_PIPE/insertFiles?requestId=r%201")
            insert.method = .POST
            insert.headers.add(name: "Authorization", value: "Bearer \(token)")
            insert.headers.add(name: "Content-Type", value: "application/json")
            insert.body = .bytes(ByteBuffer(string: #"{"files":[{"path":"data/a.csv","size":21}]}"#))
            let inserted = try await HTTPClient.shared.execute(insert, timeout: .seconds(10))
            #expect(inserted.status.code == 200)
            let body = try await inserted.body.collect(upTo: 1 << 20)
            #expect(String(buffer: body).contains(#""requestId":"r 1""#))
            await fixture.emulator.flushLoads()
            var report = HTTPClientRequest(url: "\(base)/v1/data/pipes/DB.S.CSV_PIPE/insertReport")
            report.headers.add(name: "Authorization", value: "Bearer \(token)")
            let reported = try await HTTPClient.shared.execute(report, timeout: .seconds(10))
            let text = String(buffer: try await reported.body.collect(upTo: 1 << 20))
            #expect(text.contains(#""status":"LOADED""#))
        }
    }

    @Test func aPercentEncodedQuotedPipeNameIsDecoded() async throws {
        let fixture = try EmulatorFixture()
        let token = fixture.token()
        try await LiveEmulator.withServer(fixture.emulator) { base in
            var request = HTTPClientRequest(url: "\(base)/v1/data/pipes/DB.S.%22My%20Pipe%22/insertReport")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(response.status.code == 404)
            #expect(text.contains(#"DB.S.\"My Pipe\""#) || text.contains(#"DB.S."My Pipe""#))
        }
    }

    @Test func aDroppedConnectionReachesTheClientAsAnError() async throws {
        let fixture = try EmulatorFixture()
        await fixture.emulator.setFaults(FaultPlan(script: [.drop]), for: .insertReport)
        let token = fixture.token()
        try await LiveEmulator.withServer(fixture.emulator) { base in
            var request = HTTPClientRequest(url: "\(base)/v1/data/pipes/DB.S.CSV_PIPE/insertReport")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            await #expect(throws: (any Error).self) {
                _ = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            }
            let again = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(again.status.code == 200)
        }
    }

    @Test func theAdminStatsCountRequests() async throws {
        let fixture = try EmulatorFixture()
        let token = fixture.token()
        try await LiveEmulator.withServer(fixture.emulator) { base in
            var request = HTTPClientRequest(url: "\(base)/v1/data/pipes/DB.S.CSV_PIPE/insertReport")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            _ = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let stats = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "\(base)/admin/stats"), timeout: .seconds(10))
            let decoded = try JSONDecoder().decode(
                EmulatorStats.self, from: Data(String(buffer: try await stats.body.collect(upTo: 1 << 20)).utf8))
            #expect(decoded.apiRequests == 1)
            #expect(decoded.insertReportCalls == 1)
        }
    }
}
