import Foundation
import HTTPSeam
import SnowflakeAuth
import SnowpipeEmulator

/// An in-process emulator with a stage directory, a manual clock and a few pipes, plus helpers to call it.
///
/// Pipes: `DB.S.CSV_PIPE` (CSV, header skipped, SKIP_FILE) into `DB.S.T`, `DB.S.CONT_PIPE` (CONTINUE),
/// `DB.S.SKIP3_PIPE` (SKIP_FILE_3), `DB.S.ABORT_PIPE` (ABORT_STATEMENT), `DB.S.JSON_PIPE` (a streaming pipe into
/// `DB.S.EVENTS`), `DB.S.NDJSON_PIPE` (NDJSON files into `DB.S.EVENTS`), `DB.S.PATTERN_PIPE` (only `.*[.]csv`) and
/// `DB.S.HIDDEN_PIPE` (not granted to the user).
public struct EmulatorFixture: Sendable {
    public static let account = "MYORG-MYACCT"
    public static let user = "INGEST_USER"
    public static let start = Date(timeIntervalSince1970: 1_800_000_000)

    public let stage: TemporaryDirectory
    public private(set) var emulator: SnowpipeEmulator
    public let clock: EmulatorClock
    /// The configuration the emulator was built with.
    public let configuration: EmulatorConfiguration

    /// Builds the fixture; `adjust` can change the configuration first.
    /// How the emulator reaches its stage storage (nil: HTTP).
    let stageTransport: (any HTTPTransport)?

    /// Builds the fixture; `adjust` can change the configuration first; `stageTransport` serves the stage
    /// storage in memory (`MemoryS3`).
    public init(
        stageTransport: (any HTTPTransport)? = nil, adjust: (inout EmulatorConfiguration) -> Void = { _ in }
    ) throws {
        self.stageTransport = stageTransport
        let stage = TemporaryDirectory("stage")
        self.stage = stage
        let columns = [
            PipeDefinition.Column(name: "ID", type: .number), PipeDefinition.Column(name: "NAME", type: .varchar),
            PipeDefinition.Column(name: "AMOUNT", type: .float),
        ]
        let csv = PipeDefinition.FileFormat(type: .csv, skipHeader: 1)
        let events = [
            PipeDefinition.Column(name: "ID", type: .integer), PipeDefinition.Column(name: "PAYLOAD", type: .variant),
        ]
        func pipe(_ name: String, onError: String = "SKIP_FILE", pattern: String? = nil) -> PipeDefinition {
            PipeDefinition(
                name: name, stageDirectory: stage.path, stageLocation: "s3://bucket/", table: "DB.S.T",
                columns: columns, format: csv, onError: onError, pattern: pattern)
        }
        let pipes = [
            pipe("DB.S.CSV_PIPE"), pipe("DB.S.CONT_PIPE", onError: "CONTINUE"),
            pipe("DB.S.SKIP3_PIPE", onError: "SKIP_FILE_3"), pipe("DB.S.ABORT_PIPE", onError: "ABORT_STATEMENT"),
            pipe("DB.S.PATTERN_PIPE", pattern: ".*[.]csv"), pipe("DB.S.HIDDEN_PIPE"),
            PipeDefinition(
                name: "DB.S.JSON_PIPE", stageDirectory: stage.path, table: "DB.S.EVENTS", columns: events,
                format: PipeDefinition.FileFormat(type: .ndjson), kind: .streaming),
            PipeDefinition(
                name: "DB.S.NDJSON_PIPE", stageDirectory: stage.path, table: "DB.S.EVENTS", columns: events,
                format: PipeDefinition.FileFormat(type: .ndjson)),
        ]
        var configuration = EmulatorConfiguration(
            account: Self.account,
            users: [
                .init(
                    name: Self.user, publicKeys: [TestKeys.primary.publicKey.pem],
                    pipes: pipes.map(\.name).filter { $0 != "DB.S.HIDDEN_PIPE" })
            ],
            pipes: pipes, loadDelaySeconds: 10)
        adjust(&configuration)
        self.configuration = configuration
        clock = EmulatorClock(manualStart: Self.start)
        emulator = try SnowpipeEmulator(configuration: configuration, clock: clock, stageTransport: stageTransport)
    }

    /// The same fixture with a new emulator built from the same configuration, database and clock: what a
    /// restarted emulator process would be.
    public func restarted() throws -> EmulatorFixture {
        var copy = self
        copy.emulator = try SnowpipeEmulator(configuration: configuration, clock: clock, stageTransport: stageTransport)
        return copy
    }

    /// A valid token at the emulator's current time.
    public func token(key: PrivateKey = TestKeys.primary) -> String {
        TestKeys.token(account: Self.account, user: Self.user, key: key, issuedAt: clock.now())
    }

    /// `POST insertFiles` with a JSON body.
    public func insertFiles(
        _ paths: [String], pipe: String = "DB.S.CSV_PIPE", requestID: String? = "req-1",
        showSkipped: Bool = false, token: String? = nil
    ) async -> EmulatorResponse {
        let files = paths.map { ["path": $0, "size": 10] as [String: Any] }
        let body = try! JSONSerialization.data(withJSONObject: ["files": files])
        var query: [String: String] = [:]
        if let requestID { query["requestId"] = requestID }
        if showSkipped { query["showSkippedFiles"] = "true" }
        return await emulator.handle(
            EmulatorRequest(
                method: "POST", path: "/v1/data/pipes/\(pipe)/insertFiles", query: query,
                headers: ["Authorization": "Bearer \(token ?? self.token())", "Content-Type": "application/json"],
                body: [UInt8](body)))
    }

    /// `GET insertReport`.
    public func insertReport(pipe: String = "DB.S.CSV_PIPE", query: [String: String] = [:]) async -> EmulatorResponse {
        await emulator.handle(
            EmulatorRequest(
                method: "GET", path: "/v1/data/pipes/\(pipe)/insertReport", query: query,
                headers: ["Authorization": "Bearer \(token())"]))
    }

    /// `GET loadHistoryScan`.
    public func loadHistoryScan(pipe: String = "DB.S.CSV_PIPE", query: [String: String]) async -> EmulatorResponse {
        await emulator.handle(
            EmulatorRequest(
                method: "GET", path: "/v1/data/pipes/\(pipe)/loadHistoryScan", query: query,
                headers: ["Authorization": "Bearer \(token())"]))
    }
}

extension EmulatorResponse {
    /// The body as a JSON object (empty when it is not one).
    public var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:]
    }

    /// The `files` array of a report.
    public var files: [[String: Any]] { object["files"] as? [[String: Any]] ?? [] }
}
