import Foundation
import IngestCore
import SnowflakeAuth
import SnowpipeAPI
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("The client against the emulator, with faults and a virtual clock")
struct ClientTests {
    let fixture = try! EmulatorFixture()
    let sleeper = VirtualSleeper()

    func client(
        transport: (any HTTPTransport)? = nil, maximumAttempts: Int? = 10, key: PrivateKey = TestKeys.primary,
        random: Double = 0.5
    ) -> SnowpipeClient {
        let clock = fixture.clock
        let cache = TokenCache(
            key: key, account: "myorg-myacct.us-east-1", user: "ingest_user", now: { clock.now() })
        return SnowpipeClient(
            endpoint: SnowflakeEndpoint(scheme: "http", host: "127.0.0.1", port: 1),
            transport: transport ?? EmulatorTransport(fixture.emulator),
            tokens: TokenSource(current: { try await cache.token() }, renew: { try await cache.renew() }),
            retrying: .init(maximumAttempts: maximumAttempts, sleep: sleeper.sleep, random: { random }),
            version: "9.9.9")
    }

    @Test func insertFilesSucceedsAndSendsTheDocumentedHeaders() async throws {
        let recording = RecordingTransport(EmulatorTransport(fixture.emulator))
        let response = try await client(transport: recording).insertFiles(
            pipe: "DB.S.CSV_PIPE", files: [StagedFile(path: "a.csv", size: 3)], requestID: "batch-1")
        #expect(response.responseCode == "SUCCESS")
        #expect(response.requestId == "batch-1")
        #expect(response.skippedFiles == [])
        let request = try #require(await recording.requests.first)
        #expect(request.header("User-Agent") == "snowpiped/9.9.9 (Linux; Swift)")
        #expect(request.header("Accept") == "application/json")
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("Authorization")?.hasPrefix("Bearer ey") == true)
    }

    @Test func a429StormIsRiddenOutWithBackoffAndTheSameRequestId() async throws {
        await fixture.emulator.setFaults(
            FaultPlan(script: Array(repeating: .status(429), count: 6)), for: .insertFiles)
        let recording = RecordingTransport(EmulatorTransport(fixture.emulator))
        _ = try await client(transport: recording, random: 0.5).insertFiles(
            pipe: "DB.S.CSV_PIPE", files: [StagedFile(path: "a.csv", size: 3)], requestID: "storm")
        let requests = await recording.requests
        #expect(requests.count == 7)
        #expect(Set(requests.map(\.url)).count == 1)
        #expect(requests.allSatisfy { $0.url.contains("requestId=storm") })
        // Full jitter at 0.5: half of 1, 2, 4, 8, 16, 32 seconds.
        #expect(
            sleeper.waits == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)])
        #expect(await fixture.emulator.queuedLoads == 1)
    }

    @Test func retryAfterFromTheServerIsHonoured() async throws {
        await fixture.emulator.setFaults(
            FaultPlan(script: [.status(503, retryAfter: "7"), .status(503)]), for: .insertReport)
        _ = try await client(random: 0).insertReport(pipe: "DB.S.CSV_PIPE", beginMark: nil)
        #expect(sleeper.waits == [.seconds(7), .zero])
    }

    @Test func droppedConnectionsAndMalformedBodiesAreRetried() async throws {
        await fixture.emulator.setFaults(
            FaultPlan(script: [.drop, Fault(drop: true, afterProcessing: true), .malformed]), for: .insertFiles)
        let response = try await client().insertFiles(
            pipe: "DB.S.CSV_PIPE", files: [StagedFile(path: "a.csv", size: 3)], requestID: "r")
        #expect(sleeper.waits.count == 3)
        // The second attempt was processed before its answer was lost: the last retry is skipped by
        // Snowpipe's dedup, which is why insertFiles is safe to repeat.
        #expect(response.skippedFiles == ["a.csv"])
        #expect(await fixture.emulator.receivedPaths(pipe: "DB.S.CSV_PIPE")["a.csv"] == 2)
        #expect(await fixture.emulator.queuedLoads == 1)
    }

    @Test func givingUpAfterTheAttemptBudgetReportsTheLastFailure() async {
        await fixture.emulator.setFaults(
            FaultPlan(script: Array(repeating: .status(500), count: 10)), for: .insertReport)
        await #expect {
            _ = try await client(maximumAttempts: 3).insertReport(pipe: "DB.S.CSV_PIPE", beginMark: nil)
        } throws: { error in
            guard let error = error as? SnowpipeError else { return false }
            return error.status == 500 && error.attempts == 3 && error.code == "391903"
        }
        #expect(sleeper.waits.count == 2)
    }

    @Test func aRefusedTokenIsRenewedOnceAndTheRequestRetried() async throws {
        let clock = fixture.clock
        let renewals = Counter()
        let stale = TestKeys.token(
            account: "MYORG-MYACCT", user: "INGEST_USER", issuedAt: clock.now().addingTimeInterval(-7200),
            lifetime: 3540)
        let client = SnowpipeClient(
            endpoint: SnowflakeEndpoint(scheme: "http", host: "127.0.0.1", port: 1),
            transport: EmulatorTransport(fixture.emulator),
            tokens: TokenSource(
                current: { stale },
                renew: {
                    renewals.increment()
                    return TestKeys.token(account: "MYORG-MYACCT", user: "INGEST_USER", issuedAt: clock.now())
                }),
            retrying: .init(sleep: sleeper.sleep), version: "1")
        let report = try await client.insertReport(pipe: "DB.S.CSV_PIPE", beginMark: nil)
        #expect(report.nextBeginMark != nil)
        #expect(renewals.value == 1)
        #expect(sleeper.waits.isEmpty)
    }

    @Test func afterKeyRotationA401IsFinalAndExplained() async throws {
        let client = client()
        _ = try await client.insertReport(pipe: "DB.S.CSV_PIPE", beginMark: nil)
        try await fixture.emulator.setPublicKeys(user: "INGEST_USER", keys: [TestKeys.secondary.publicKey.pem])
        await #expect {
            _ = try await client.insertReport(pipe: "DB.S.CSV_PIPE", beginMark: nil)
        } throws: { error in
            guard let error = error as? SnowpipeError else { return false }
            return error.status == 401 && error.code == "390144" && error.attempts == 2
                && error.hint.contains("RSA_PUBLIC_KEY") && !error.description.contains("eyJ")
        }
        #expect(sleeper.waits.isEmpty)
    }

    @Test(arguments: [("DB.S.NOPE", 404), ("DB.S.HIDDEN_PIPE", 404)])
    func anUnknownOrUngrantedPipeIsATypedErrorNotRetried(pipe: String, status: Int) async {
        await #expect {
            _ = try await client().insertReport(pipe: pipe, beginMark: nil, requestID: "rq-9")
        } throws: { error in
            guard let error = error as? SnowpipeError else { return false }
            return error.status == status && error.requestID == "rq-9" && error.pipe == pipe
                && error.hint.contains("not visible")
        }
        #expect(sleeper.waits.isEmpty)
    }

    @Test func a400IsNotRetried() async {
        let long = String(repeating: "x", count: 1025)
        await #expect {
            _ = try await client().insertFiles(
                pipe: "DB.S.CSV_PIPE", files: [StagedFile(path: long, size: 1)], requestID: "r")
        } throws: { error in
            (error as? SnowpipeError)?.status == 400
        }
        #expect(sleeper.waits.isEmpty)
    }

    @Test func historyIsReadWithStringCompleteResult() async throws {
        fixture.stage.write("a.csv", "ID,NAME,AMOUNT\n1,a,1\n")
        _ = try await client().insertFiles(
            pipe: "DB.S.CSV_PIPE", files: [StagedFile(path: "a.csv", size: 3)], requestID: "r")
        await fixture.emulator.advanceClock(by: 30)
        let scan = try await client().loadHistoryScan(
            pipe: "DB.S.CSV_PIPE", start: Timestamp.format(EmulatorFixture.start), end: nil)
        #expect(scan.completeResult)
        #expect(scan.files.first?.status == "LOADED")
        #expect(scan.files.first?.rowsInserted == 1)
        let report = try await client().insertReport(pipe: "DB.S.CSV_PIPE", beginMark: nil)
        #expect(report.files.first?.path == "a.csv")
    }
}
