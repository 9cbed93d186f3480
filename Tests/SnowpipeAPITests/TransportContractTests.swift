import Foundation
import HTTPSeam
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

@Suite("One contract for both transports: every client sees the same answers and the same errors")
struct TransportContractTests {
    /// The emulator with an internal stage `DB.S.UP_STAGE` whose storage is in memory (for the session client).
    let fixture = try! EmulatorFixture(stageTransport: MemoryS3()) {
        $0.stageStorage = StageStorageSettings(
            endpoint: "http://127.0.0.1:1", region: "us-east-1", bucket: "sfc-contract", accessKeyID: "ADMIN",
            secretAccessKey: "admin-secret", roleARN: "arn:aws:iam::123456789012:role/snowflake-put")
        $0.stages = [StageDefinition(name: "DB.S.UP_STAGE", encryption: .full)]
        $0.streamingCommitDelaySeconds = 0
    }

    /// Runs `body` with the transport of `kind` and the port the clients' endpoints name.
    func withTransport(_ kind: TransportKind, _ body: @Sendable (any HTTPTransport, Int) async throws -> Void)
        async throws
    {
        switch kind {
        case .inProcess:
            try await body(EmulatorTransport(fixture.emulator), 1)
        case .loopback:
            try await LiveEmulator.withServer(fixture.emulator) { base in
                let transport = try AsyncHTTPTransport(connectTimeout: .seconds(5), requestTimeout: .seconds(10))
                do {
                    try await body(transport, Int(base.split(separator: ":").last!)!)
                } catch {
                    try? await transport.shutdown()
                    throw error
                }
                try await transport.shutdown()
            }
        }
    }

    /// Runs `body` with a streaming client over the transport of `kind`.
    func withStreamingClient(_ kind: TransportKind, _ body: @Sendable (StreamingClient) async throws -> Void)
        async throws
    {
        let fixture = self.fixture
        let token: @Sendable () async throws -> String = { fixture.token() }
        try await withTransport(kind) { transport, port in
            try await body(
                StreamingClient(
                    account: SnowflakeEndpoint(scheme: "http", host: "127.0.0.1", port: port), transport: transport,
                    jwt: TokenSource(current: token, renew: token), version: "9.9.9", now: { fixture.clock.now() }))
        }
    }

    /// Runs `body` with a driver-session client over the transport of `kind`.
    func withSessionClient(_ kind: TransportKind, _ body: @Sendable (SessionClient) async throws -> Void)
        async throws
    {
        let fixture = self.fixture
        try await withTransport(kind) { transport, port in
            try await body(
                SessionClient(
                    endpoint: SnowflakeEndpoint(scheme: "http", host: "127.0.0.1", port: port), transport: transport,
                    account: "myorg-myacct", user: "ingest_user", version: "9.9.9", loginToken: { fixture.token() }))
        }
    }

    /// Runs `body` with a Snowpipe client (one attempt per call) over the transport of `kind`.
    func withClient(_ kind: TransportKind, _ body: @Sendable (SnowpipeClient) async throws -> Void) async throws {
        let clock = fixture.clock
        let cache = TokenCache(key: TestKeys.primary, account: "myorg-myacct", user: "ingest_user") { clock.now() }
        let tokens = TokenSource(current: { try await cache.token() }, renew: { try await cache.renew() })
        try await withTransport(kind) { transport, port in
            try await body(
                SnowpipeClient(
                    endpoint: SnowflakeEndpoint(scheme: "http", host: "127.0.0.1", port: port), transport: transport,
                    tokens: tokens, retrying: .init(maximumAttempts: 1), version: "9.9.9"))
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

    @Test(arguments: TransportKind.allCases)
    func aChannelOpensAppendsAndCommitsTheLastOffset(kind: TransportKind) async throws {
        let emulator = fixture.emulator
        try await withStreamingClient(kind) { client in
            let opened = try await client.openChannel(pipe: "DB.S.JSON_PIPE", channel: "contract")
            let rows = Array(#"{"ID":1,"PAYLOAD":{}}"#.utf8) + [10] + Array(#"{"ID":2,"PAYLOAD":{}}"#.utf8) + [10]
            _ = try await client.appendRows(
                pipe: "DB.S.JSON_PIPE", channel: "contract", continuationToken: opened.nextContinuationToken,
                offsets: .init(first: "c-1", last: "c-2"), rows: rows, encoding: nil)
            await emulator.flushLoads()
            let status = try await client.channelStatus(pipe: "DB.S.JSON_PIPE", channel: "contract")
            #expect(status?.lastCommittedOffsetToken == "c-2")
        }
    }

    @Test(arguments: TransportKind.allCases)
    func aStaleContinuationTokenIsA400WithSnowflakesEnvelope(kind: TransportKind) async throws {
        try await withStreamingClient(kind) { client in
            _ = try await client.openChannel(pipe: "DB.S.JSON_PIPE", channel: "stale")
            let error = await #expect(throws: SnowpipeError.self) {
                try await client.appendRows(
                    pipe: "DB.S.JSON_PIPE", channel: "stale", continuationToken: "not-a-token",
                    offsets: .init(first: "s-1", last: "s-1"), rows: Array(#"{"ID":1,"PAYLOAD":{}}"#.utf8) + [10],
                    encoding: nil)
            }
            #expect(error?.status == 400)
            #expect(error?.code?.isEmpty == false)
        }
    }

    @Test(arguments: TransportKind.allCases)
    func aSessionLogsInAndAPutAnswersWhereAndWithWhatToUpload(kind: TransportKind) async throws {
        try await withSessionClient(kind) { session in
            let answer = try await session.put(
                source: "/data/it's here.csv", stage: "DB.S.UP_STAGE", path: "landing/dir with space",
                sourceCompression: "NONE")
            #expect(answer.locationType == "S3")
            #expect(answer.bucketAndPrefix.bucket == "sfc-contract")
            #expect(answer.bucketAndPrefix.prefix.hasSuffix("landing/dir with space/"))
            #expect(answer.awsKeyID.isEmpty == false && answer.awsToken.isEmpty == false)
            #expect(answer.clientSideEncrypted && answer.masterKey != nil && answer.smkID != nil)
            #expect(await session.logins == 1)
        }
    }

    @Test(arguments: TransportKind.allCases)
    func aPutIntoAMissingStageIsRefusedWithItsCode(kind: TransportKind) async throws {
        try await withSessionClient(kind) { session in
            let error = await #expect(throws: SessionError.self) {
                try await session.put(source: "/data/a.csv", stage: "DB.S.NOPE", path: "", sourceCompression: "NONE")
            }
            #expect(error?.kind == .refused(code: "002003"))
        }
    }
}
