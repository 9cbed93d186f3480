import Foundation
import HTTPSeam
import IngestCore
import Logging
import SnowpipeHTTPClient
import StageStorage

/// A local Snowpipe: the `insertFiles` / `insertReport` / `loadHistoryScan` REST API with Snowflake's
/// authentication, limits, 14-day load metadata, report retention and asynchronous loading of staged files into
/// SQLite tables, plus fault injection and an admin API for tests.
///
/// This actor is the whole service without sockets: `handle(_:)` takes a request and returns the answer, so
/// tests can use it in-process; `EmulatorServer` puts it behind Hummingbird. Loading runs in `runLoader()`
/// (live) or on demand through `flushLoads()` / `advanceClock(by:)` (tests with a manual clock).
public actor SnowpipeEmulator {
    /// At most this many files in one insertFiles.
    public static let maximumFilesPerInsert = SnowpipeLimits.maximumFilesPerCall
    /// At most this many UTF-8 bytes in one path.
    public static let maximumPathBytes = SnowpipeLimits.maximumPathBytes
    /// At most this many entries in one loadHistoryScan answer.
    public static let maximumHistoryEntries = 10_000

    let configuration: EmulatorConfiguration
    /// The emulator's clock; tests move it.
    public nonisolated let clock: EmulatorClock
    let logger: Logger
    var authenticator: Authenticator
    let pipes: [String: PipeDefinition]
    let policies: [String: OnErrorPolicy]
    let patterns: [String: Regex<AnyRegexOutput>]
    let tables: TableStore
    var states: [String: PipeState] = [:]
    var faults: [Endpoint: FaultPlan] = [:]
    /// Pipes not `RUNNING` (admin API); absent means running.
    var executionStates: [String: PipeExecutionState] = [:]
    var stats = EmulatorStats()
    /// Pipe -> path -> times named in an accepted insertFiles call.
    var receivedCounts: [String: [String: Int]] = [:]
    var queue: [LoadJob] = []
    var nextLoadID = 0
    var lastForget = Date.distantPast
    var loadsInFlight = 0
    var idleWaiters: [CheckedContinuation<Void, Never>] = []
    let wakeup = WakeSignal()
    /// Distinguishes this instance's begin marks from another's (`<instance>_<sequence>`).
    let instance: String
    /// Snowpipe Streaming channels by `StreamingKey`.
    var channels: [String: StreamingChannel] = [:]
    /// The client sequencer the next channel open gets (unique across channels, so a dropped and recreated
    /// channel never accepts an old token).
    var nextClientSequencer: Int64 = 1
    /// Scoped tokens issued for the ingest host.
    var scopedTokens = ScopedTokens()
    /// Driver sessions (login, renewal) for `PUT` into internal stages.
    var sessions = SessionRegistry()
    /// Internal stages by upper-cased name.
    let stages: [String: StageDefinition]
    /// The encryption material each PUT query handed out, by query id (a loader decrypts with it).
    var stageMaterials: [String: StageEncryptionMaterial] = [:]
    /// The key each streaming pipe's `:pipe-info` hands out for the SDK's file mode, by pipe name (one per run).
    var pipeFileKeys: [String: PipeFileKey] = [:]
    /// How the emulator reaches its stage storage (S3 and STS): HTTP in production and the end-to-end tests, an
    /// in-memory S3 on the test rig.
    let stageTransport: any HTTPTransport

    /// Builds the emulator from its configuration; `stageTransport` replaces HTTP to the stage storage.
    /// - Throws: `ConfigurationError` naming the pipe or user whose definition is wrong.
    public init(
        configuration: EmulatorConfiguration, clock: EmulatorClock? = nil, logger: Logger? = nil,
        stageTransport: (any HTTPTransport)? = nil
    ) throws {
        self.configuration = configuration
        if let stageTransport {
            self.stageTransport = stageTransport
        } else if let caFile = configuration.stageStorage?.caFile {
            do {
                self.stageTransport = try Self.bulkTransport(trusting: caFile)
            } catch {
                throw ConfigurationError("stageStorage.caFile \(caFile): cannot load the CA bundle: \(error)")
            }
        } else {
            self.stageTransport = AsyncHTTPTransport.sharedBulk
        }
        if let clock {
            self.clock = clock
        } else if let start = configuration.manualClockStart {
            guard let date = Timestamp.parse(start) else {
                throw ConfigurationError("manualClockStart \"\(start)\" is not an ISO-8601 timestamp")
            }
            self.clock = EmulatorClock(manualStart: date)
        } else {
            self.clock = EmulatorClock()
        }
        self.logger = logger ?? Logger(label: "snowpipe-emulator")
        do {
            authenticator = try Authenticator(configuration: configuration)
        } catch {
            throw ConfigurationError("a user's public key does not parse: \(error)")
        }
        var pipes: [String: PipeDefinition] = [:]
        var policies: [String: OnErrorPolicy] = [:]
        var patterns: [String: Regex<AnyRegexOutput>] = [:]
        for pipe in configuration.pipes {
            guard pipes[pipe.name] == nil else { throw ConfigurationError("pipe \(pipe.name) is defined twice") }
            guard let policy = OnErrorPolicy(pipe.onError) else {
                throw ConfigurationError(
                    "pipe \(pipe.name): onError \"\(pipe.onError)\" is not one of SKIP_FILE, SKIP_FILE_<n>, "
                        + "'SKIP_FILE_<n>%', CONTINUE, ABORT_STATEMENT")
            }
            if pipe.format.type == .csv, pipe.columns.isEmpty {
                throw ConfigurationError("pipe \(pipe.name): a CSV pipe needs the target table's columns")
            }
            if let pattern = pipe.pattern {
                do {
                    patterns[pipe.name] = try Regex(pattern)
                } catch {
                    throw ConfigurationError("pipe \(pipe.name): pattern \"\(pattern)\" is not a valid regex: \(error)")
                }
            }
            pipes[pipe.name] = pipe
            policies[pipe.name] = policy
        }
        self.pipes = pipes
        self.policies = policies
        self.patterns = patterns
        var stages: [String: StageDefinition] = [:]
        for stage in configuration.stages { stages[stage.name.uppercased()] = stage }
        if stages.isEmpty == false, configuration.stageStorage == nil {
            throw ConfigurationError("internal stages need `stageStorage` (the S3 server their objects live in)")
        }
        // Every table has its table stage, `@DB.SCHEMA.%TABLE` (client-side encrypted, as Snowflake's are).
        if configuration.stageStorage != nil {
            for pipe in configuration.pipes {
                let stage = StageDefinition.tableStage(of: pipe.table)
                if stages[stage.name.uppercased()] == nil { stages[stage.name.uppercased()] = stage }
            }
        }
        self.stages = stages
        for pipe in configuration.pipes {
            if let stage = pipe.stage, stages[stage.uppercased()] == nil {
                throw ConfigurationError("pipe \(pipe.name): stage \(stage) is not one of the configured `stages`")
            }
        }
        do {
            tables = try TableStore(path: configuration.databasePath, pipes: configuration.pipes)
        } catch {
            throw ConfigurationError("cannot open the database \(configuration.databasePath ?? ":memory:"): \(error)")
        }
        for name in pipes.keys { states[name] = PipeState() }
        // What a previous run with this database accepted and loaded is remembered, as Snowflake remembers it.
        do {
            let memory = try tables.recall()
            if let remembered = memory.instance {
                instance = remembered
            } else {
                instance = String(Int(Date().timeIntervalSince1970) % 1_000_000)
                try tables.rememberInstance(instance)
            }
            for receipt in memory.received { states[receipt.pipe]?.markReceived(receipt.path, at: receipt.at) }
            for event in memory.events {
                states[event.pipe]?.restore(event.entry, loadID: event.loadID, sequence: event.sequence)
            }
            for (pipe, next) in memory.nextSequences { states[pipe]?.restoreNextSequence(next) }
            queue = memory.queue.filter { pipes[$0.pipe] != nil }
            for (key, channel) in memory.channels where pipes[channel.pipe] != nil { channels[key] = channel }
            nextClientSequencer = memory.nextClientSequencer
            if stages.isEmpty == false { stageMaterials = try tables.recallStageMaterials() }
            nextLoadID = max(memory.queue.map(\.id).max() ?? -1, memory.events.map(\.loadID).max() ?? -1) + 1
        } catch {
            throw ConfigurationError(
                "cannot read the emulator's memory from \(configuration.databasePath ?? ":memory:"): \(error)")
        }
    }

    /// Answers one request: the Snowpipe and Snowpipe Streaming endpoints, the admin API, and the SDKs'
    /// telemetry sink.
    public func handle(_ request: EmulatorRequest) async -> EmulatorResponse {
        let response: EmulatorResponse
        if request.path.hasPrefix("/admin/") {
            response = await handleAdmin(request)
        } else if request.path == "/telemetry/send/sessionless" {
            // Snowflake's answer; the streaming SDK needs `data` (the Java file SDK ignores the body).
            response = .json(200, ["data": "Log Received", "code": nil, "message": nil, "success": true])
        } else if request.path.hasPrefix("/session") || request.path.hasPrefix("/queries/")
            || request.path == "/telemetry/send"
        {
            response = await handleSession(request)
        } else if let route = StreamingRoute(method: request.method, path: request.path) {
            response = await handleStreaming(request, route: route)
        } else if let (pipe, operation) = Self.parsePipePath(request.path) {
            response = await handlePipe(request, pipe: pipe, operation: operation)
        } else {
            response = .snowflakeError(404, code: VendorCode.objectNotFound, message: "Not found: \(request.path)")
        }
        return response
    }

    /// Splits `/v1/data/pipes/{pipe}/{operation}`; the pipe part may contain `/` (clients do not encode it).
    static func parsePipePath(_ path: String) -> (String, String)? {
        let prefix = "/v1/data/pipes/"
        guard path.hasPrefix(prefix) else { return nil }
        let rest = path.dropFirst(prefix.count)
        guard let slash = rest.lastIndex(of: "/") else { return nil }
        let pipe = String(rest[..<slash])
        let operation = String(rest[rest.index(after: slash)...])
        guard pipe.isEmpty == false else { return nil }
        return (pipe, operation)
    }

    private func handlePipe(_ request: EmulatorRequest, pipe: String, operation: String) async -> EmulatorResponse {
        let endpoint: Endpoint
        switch (request.method, operation) {
        case ("POST", "insertFiles"): endpoint = .insertFiles
        case ("GET", "insertReport"): endpoint = .insertReport
        case ("GET", "loadHistoryScan"): endpoint = .loadHistoryScan
        default:
            return count(.snowflakeError(404, code: VendorCode.objectNotFound, message: "Not found: \(request.path)"))
        }
        stats.apiRequests += 1
        switch endpoint {
        case .insertFiles: stats.insertFilesCalls += 1
        case .insertReport: stats.insertReportCalls += 1
        case .loadHistoryScan: stats.loadHistoryScanCalls += 1
        default: break
        }
        let fault = faults[endpoint]?.next()
        if let fault, fault.pass != true { stats.faultsInjected += 1 }
        if let fault, fault.preventsProcessing {
            logger.debug("injected fault", metadata: ["endpoint": "\(endpoint)", "fault": "\(fault)"])
            return count(fault.apply(to: nil))
        }
        let response = await process(request, endpoint: endpoint, pipe: pipe)
        return count(fault.map { $0.apply(to: response) } ?? response)
    }

    private func process(_ request: EmulatorRequest, endpoint: Endpoint, pipe name: String) async -> EmulatorResponse {
        let now = clock.now()
        let principal: (user: String, pipes: Set<String>)
        switch authenticator.authenticate(request, now: now) {
        case .success(let value): principal = value
        case .failure(let refusal):
            logger.info("refused token", metadata: ["reason": "\(refusal)"])
            return refusal.response
        }
        guard let pipe = pipes[name], principal.pipes.contains(name) else {
            return .snowflakeError(
                404, code: VendorCode.objectNotFound,
                message: "Specified object does not exist or not authorized. Pipe not found: \(name)")
        }
        if let refusal = executionStates[name]?.refusal(pipe: name) { return refusal }
        if pipe.kind == .streaming {
            // No source gives Snowflake's exact answer; a 400 that names the pipe, never a file.
            return .snowflakeError(
                400, code: VendorCode.invalidRequest,
                message: "Pipe \(name) is a Snowpipe Streaming pipe: it takes rows through channels, not files "
                    + "through the Snowpipe REST API. Use a pipe defined as COPY INTO <table> FROM @<stage>.")
        }
        states[name]?.purge(now: now, configuration: configuration)
        forgetAgedOutMemory(now: now)
        switch endpoint {
        case .insertFiles: return insertFiles(request, pipe: pipe, now: now)
        case .insertReport: return insertReport(request, pipe: pipe, now: now)
        case .loadHistoryScan: return loadHistoryScan(request, pipe: pipe, now: now)
        default: return .snowflakeError(404, code: VendorCode.objectNotFound, message: "Not found: \(request.path)")
        }
    }

    /// Deletes remembered events and receipts past their retention, at most once a minute of emulator time.
    private func forgetAgedOutMemory(now: Date) {
        guard now.timeIntervalSince(lastForget) >= 60 || now < lastForget else { return }
        lastForget = now
        do {
            try tables.forget(
                eventsBefore: now.addingTimeInterval(-configuration.historyRetentionSeconds),
                receivedBefore: now.addingTimeInterval(-configuration.dedupWindowSeconds))
        } catch {
            logger.error("cannot forget aged-out load metadata", metadata: ["error": "\(error)"])
        }
    }

    func count(_ response: EmulatorResponse) -> EmulatorResponse {
        let key = response.dropConnection ? "dropped" : String(response.status)
        stats.responsesByStatus[key, default: 0] += 1
        return response
    }
}

/// A configuration the emulator cannot start with.
public struct ConfigurationError: Error, CustomStringConvertible {
    /// What is wrong, naming the pipe or user.
    public let description: String
    init(_ description: String) { self.description = description }
}
