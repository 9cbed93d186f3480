import Foundation
import IngestCore
import SnowflakeAuth
import SnowpipeAPI
import SnowpipeEmulator
import SnowpipeHTTPClient
import TestSupport
import Testing

/// The two ways the client reaches Snowpipe in tests and production.
enum TransportKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `EmulatorTransport`: requests handed to the emulator actor, no sockets.
    case inProcess
    /// `AsyncHTTPTransport` (production) over loopback to the emulator's Hummingbird server.
    case loopback

    var testDescription: String { rawValue }
}

@Suite("One contract for both transports: the client sees the same answers and the same errors")
struct TransportContractTests {
    let fixture = try! EmulatorFixture()

    /// Runs `body` with a client (one attempt per call) over the transport of `kind`.
    func withClient(_ kind: TransportKind, _ body: @Sendable (SnowpipeClient) async throws -> Void) async throws {
        let clock = fixture.clock
        let cache = TokenCache(key: TestKeys.primary, account: "myorg-myacct", user: "ingest_user") { clock.now() }
        let tokens = TokenSource(current: { try await cache.token() }, renew: { try await cache.renew() })
        @Sendable func client(_ transport: any HTTPTransport, port: Int) -> SnowpipeClient {
            SnowpipeClient(
                endpoint: SnowflakeEndpoint(scheme: "http", host: "127.0.0.1", port: port), transport: transport,
                tokens: tokens, retrying: .init(maximumAttempts: 1), version: "9.9.9")
        }
        switch kind {
        case .inProcess:
            try await body(client(EmulatorTransport(fixture.emulator), port: 1))
        case .loopback:
            try await LiveEmulator.withServer(fixture.emulator) { base in
                let transport = try AsyncHTTPTransport(connectTimeout: .seconds(5), requestTimeout: .seconds(10))
                do {
                    try await body(client(transport, port: Int(base.split(separator: ":").last!)!))
                } catch {
                    try? await transport.shutdown()
                    throw error
                }
                try await transport.shutdown()
            }
        }
    }

    @Test(arguments: TransportKind.allCases)
    func insertFilesThenReportsRoundTrip(kind: TransportKind) async throws {
        fixture.stage.write("a.csv", "ID,NAME,AMOUNT\n1,a,1.5\n")
        let emulator = fixture.emulator
        try await withClient(kind) { client in
            let accepted = try await client.insertFiles(
                pipe: "DB.S.CSV_PIPE", files: [StagedFile(path: "a.csv", size: 24)], requestID: "contract-1")
            #expect(accepted.requestId == "contract-1")
            #expect(accepted.skippedFiles == [])
            await emulator.advanceClock(by: 20)
            let report = try await client.insertReport(pipe: "DB.S.CSV_PIPE", beginMark: nil)
            #expect(report.files.map(\.path) == ["a.csv"])
            #expect(report.files.first?.status == "LOADED")
            let history = try await client.loadHistoryScan(
                pipe: "DB.S.CSV_PIPE", start: SnowpipeTimestamp.format(seconds: 1_799_999_000), end: nil)
            #expect(history.files.map(\.path) == ["a.csv"])
        }
    }

    @Test(arguments: TransportKind.allCases)
    func aRateLimitCarriesItsRetryAfterIntoTheBackoff(kind: TransportKind) async throws {
        await fixture.emulator.setFaults(FaultPlan(script: [.status(429, retryAfter: "2")]), for: .insertReport)
        try await withClient(kind) { client in
            let error = await #expect(throws: SnowpipeError.self) {
                try await client.insertReport(pipe: "DB.S.CSV_PIPE", beginMark: nil)
            }
            #expect(error?.status == 429)
            #expect(error?.outcome == .status(429, retryAfter: .seconds(2)))
        }
    }

    @Test(arguments: TransportKind.allCases)
    func aDroppedConnectionIsNoAnswer(kind: TransportKind) async throws {
        await fixture.emulator.setFaults(FaultPlan(script: [.drop]), for: .insertFiles)
        try await withClient(kind) { client in
            let error = await #expect(throws: SnowpipeError.self) {
                try await client.insertFiles(
                    pipe: "DB.S.CSV_PIPE", files: [StagedFile(path: "x.csv", size: 1)], requestID: "dropped")
            }
            #expect(error?.outcome == .noAnswer)
        }
    }

    @Test(arguments: TransportKind.allCases)
    func anUnknownPipeIs404WithSnowflakesEnvelope(kind: TransportKind) async throws {
        try await withClient(kind) { client in
            let error = await #expect(throws: SnowpipeError.self) {
                try await client.insertReport(pipe: "DB.S.NO_SUCH_PIPE", beginMark: nil)
            }
            #expect(error?.status == 404)
            #expect(error?.code != nil)
            #expect(error?.message?.isEmpty == false)
        }
    }
}
