import FileWatching
import Foundation
import IngestCore
import Logging
import Outbox
import ServiceLifecycle
import SnowflakeAuth
import SnowpipeAPI
import SnowpipeEmulator
import Synchronization
import Systemd
import TestSupport

@testable import SnowpipeDaemon

/// The daemon's batcher and reporter for one pipe, on a `ManualClock`, against the in-process emulator (whose
/// clock moves with it), over a real outbox. `run(until:)` moves time only when every service sleeps, to the
/// earliest deadline, so hours of daemon time pass in milliseconds and every wait the services ask for is the
/// one that happens.
final class ServiceRig: Sendable {
    static let pipe = "DB.S.CSV_PIPE"
    /// The pipe of an upload-mode rig: it loads from the internal stage `DB.S.UP_STAGE` (in `MemoryS3`).
    static let uploadPipe = "DB.S.UP_PIPE"

    let fixture: EmulatorFixture
    let clock: ManualClock
    let state = TemporaryDirectory("rig")
    let outbox: Outbox
    let configuration: DaemonConfiguration
    let log = CapturedLog()
    let context: DaemonContext
    private let running = Mutex<Task<Void, Never>?>(nil)

    /// The arguments are the configuration's `batching` and `reporter` settings and the emulator's load delay.
    /// The streaming pipe of a stream-mode rig (`streaming: true`).
    static let streamPipe = "DB.S.JSON_PIPE"

    /// A streaming client over the in-process emulator, for a stream-mode rig.
    let streamingClient: StreamingClient
    /// A session client (login, PUT) over the in-process emulator, for an upload-mode rig.
    let sessionClient: SessionClient
    /// The stage storage of an upload-mode rig.
    let s3: MemoryS3?
    /// The rule's pipe.
    let rulePipe: String

    /// `ruleExtra` adds keys to the watch rule (each line indented by four spaces); `streaming` makes the rule a
    /// stream-mode one on `streamPipe` (NDJSON), driven by the stream sender instead of the batcher and reporter;
    /// `upload` makes it an upload-mode one on `uploadPipe`, its internal stage kept in that `MemoryS3`;
    /// `settings` adds top-level keys.
    init(
        lingerMilliseconds: Int = 100, maxFiles: Int = 5000, pollSeconds: Double = 5, deadlineMinutes: Double = 60,
        loadDelaySeconds: Double = 1, ruleExtra: String = "", streaming: Bool = false, warnAfterMinutes: Double = 30,
        settings: String = "", upload: MemoryS3? = nil, heartbeatSeconds: Int64 = 3600
    ) throws {
        s3 = upload
        fixture = try EmulatorFixture(stageTransport: upload) {
            $0.loadDelaySeconds = loadDelaySeconds
            $0.streamingCommitDelaySeconds = 1
            guard upload != nil else { return }
            $0.stageStorage = StageStorageSettings(
                endpoint: "http://127.0.0.1:1", region: "us-east-1", bucket: "sfc-rig", accessKeyID: "ADMIN",
                secretAccessKey: "admin-secret", roleARN: "arn:aws:iam::123456789012:role/snowflake-put")
            $0.stages = [StageDefinition(name: "DB.S.UP_STAGE", encryption: .full)]
            $0.pipes.append(
                PipeDefinition(
                    name: Self.uploadPipe, stageDirectory: "", table: "DB.S.T",
                    columns: [
                        .init(name: "ID", type: .number), .init(name: "NAME", type: .varchar),
                        .init(name: "AMOUNT", type: .float),
                    ],
                    format: .init(type: .csv, skipHeader: 1), stage: "DB.S.UP_STAGE"))
            $0.users[0].pipes.append(Self.uploadPipe)
        }
        rulePipe = streaming ? Self.streamPipe : upload != nil ? Self.uploadPipe : Self.pipe
        let uploadRule =
            "    stage:\n      kind: internal\n      name: DB.S.UP_STAGE\n      path: landing\n"
            + "      endpoint: http://127.0.0.1:1\n"
        let rule =
            streaming
            ? "    mode: stream\n    format: ndjson\n" + ruleExtra : upload != nil ? uploadRule + ruleExtra : ruleExtra
        clock = ManualClock(start: EmulatorFixture.start)
        let keyPath = state.write("key.p8", try TestKeys.primary.pkcs8PEM())
        configuration = try ConfigurationLoader.parse(
            """
            snowflake:
              account: myorg-myacct
              user: ingest_user
              private_key_file: \(keyPath)
              host: 127.0.0.1
              port: 1
              scheme: http
              allow_plain_http: true
            state_directory: \(state.path)/state
            watch:
              - directory: \(fixture.stage.path)
                pipe: \(rulePipe)
            \(rule)
            batching:
              max_files: \(maxFiles)
              linger_ms: \(lingerMilliseconds)
            reporter:
              poll_seconds: \(pollSeconds)
              deadline_minutes: \(deadlineMinutes)
              warn_after_minutes: \(warnAfterMinutes)
            \(settings)
            """, file: "rig.yaml")
        try FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true)
        outbox = try Outbox(path: configuration.databasePath)
        let clock = self.clock
        let tokens = TokenCache(
            key: TestKeys.primary, account: "myorg-myacct", user: "ingest_user", now: { clock.date })
        let client = SnowpipeClient(
            endpoint: SnowflakeEndpoint(scheme: "http", host: "127.0.0.1", port: 1),
            transport: EmulatorTransport(fixture.emulator),
            tokens: TokenSource(current: { try await tokens.token() }, renew: { try await tokens.renew() }),
            retrying: .init(maximumAttempts: 1), version: "0.0.0-test")
        streamingClient = StreamingClient(
            account: SnowflakeEndpoint(scheme: "http", host: "127.0.0.1", port: 1),
            transport: EmulatorTransport(fixture.emulator),
            jwt: TokenSource(current: { try await tokens.token() }, renew: { try await tokens.renew() }),
            version: "0.0.0-test", now: { clock.date })
        sessionClient = SessionClient(
            endpoint: SnowflakeEndpoint(scheme: "http", host: "127.0.0.1", port: 1),
            transport: EmulatorTransport(fixture.emulator), account: "myorg-myacct", user: "ingest_user",
            version: "0.0.0-test", loginToken: { try await tokens.token() })
        let log = self.log
        var logger = Logger(label: "rig") { _ in log }
        logger.logLevel = .info
        context = DaemonContext(
            configuration: configuration, outbox: outbox, client: client, logger: logger, now: { clock.date },
            random: { 0.5 },
            // No watchdog by default: a long heartbeat lets idle services sleep long stretches of virtual time.
            heartbeatInterval: .seconds(heartbeatSeconds), monotonic: { clock.now.offset })
    }

    private let started = Mutex(2)

    /// How many services sleep when all are idle.
    var serviceCount: Int { started.withLock { $0 } }

    /// Starts the batcher and the reporter, with `actions` the after-load actions too, and with `watcher` the
    /// watcher service on that scripted event source (a restarted daemon: same outbox, fresh services).
    func start(
        actions: Bool = false, health: Bool = false, watcher: ScriptedWatchEvents? = nil,
        systemd: (any ServiceNotifying)? = nil
    ) {
        var services: [any Service] = []
        if let systemd { services.append(SystemdService(context: context, notifier: systemd, clock: clock)) }
        if let watcher {
            services.append(WatchService(context: context, clock: clock, eventSource: watcher.factory))
        }
        for rule in configuration.watches {
            if let stream = rule.stream {
                services.append(
                    StreamService(context: context, rule: rule, settings: stream, client: streamingClient, clock: clock)
                )
            } else if let s3, rule.upload != nil {
                services.append(
                    UploadService(
                        context: context, pipe: rule.pipe, session: sessionClient, transport: s3, clock: clock))
                services.append(BatcherService(context: context, pipe: rule.pipe, clock: clock))
                services.append(ReporterService(context: context, pipe: rule.pipe, clock: clock))
            } else {
                services.append(BatcherService(context: context, pipe: rule.pipe, clock: clock))
                services.append(ReporterService(context: context, pipe: rule.pipe, clock: clock))
            }
        }
        if actions { services.append(ActionService(context: context, clock: clock)) }
        if health { services.append(HealthService(context: context, clock: clock)) }
        started.withLock { $0 = services.count }
        let all = services
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                for service in all { group.addTask { try? await service.run() } }
            }
        }
        running.withLock { $0 = task }
    }

    /// Stops the services (as a crash or a stop would: everything they did is in the outbox).
    func stop() async {
        let task = running.withLock { task -> Task<Void, Never>? in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
    }

    /// Writes a CSV of `rows` rows into the stage and records it in the outbox, as the watcher would.
    @discardableResult
    func drop(_ name: String, rows: Int, firstID: Int = 1) async throws -> String {
        var text = "ID,NAME,AMOUNT\n"
        for id in firstID..<(firstID + rows) { text += "\(id),n\(id),\(id).5\n" }
        return try await record(fixture.stage.write(name, text), as: name)
    }

    /// Records a file already in the stage with its real size and mtime, as the watcher would, and wakes the pipe.
    @discardableResult
    func record(_ path: String, as stagePath: String, pipe: String = ServiceRig.pipe) async throws -> String {
        var info = stat()
        lstat(path, &info)
        _ = try await outbox.record(
            [
                DiscoveredFile(
                    pipe: pipe, localPath: path, stagePath: stagePath, size: Int64(info.st_size),
                    mtimeNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
            ], now: clock.date)
        context.signals(pipe).pending.signal()
        return path
    }

    /// Runs the services for `duration` of virtual time; returns how many requests the emulator got meanwhile.
    func requests(during duration: Duration) async throws -> Int {
        let before = await fixture.emulator.statistics().apiRequests
        let end = elapsed + duration
        try await run(until: "\(duration) of virtual time passed", limit: end + .seconds(60)) { elapsed >= end }
        return await fixture.emulator.statistics().apiRequests - before
    }

    /// Runs the services for `duration` of virtual time, never jumping past its end (a test acts at that instant).
    func advance(by duration: Duration) async throws {
        let end = elapsed + duration
        try await run(until: "\(duration) of virtual time passed", stoppingAt: end) { elapsed >= end }
    }

    /// The virtual time passed since the start.
    var elapsed: Duration { clock.now.offset }

    /// The state of the newest row for `path`.
    func state(of path: String) async throws -> FileState? {
        try await outbox.history(path: path).last?.state
    }

    /// Runs the services until `condition` holds: while any service works (I/O), real time passes; once all
    /// sleep, the clocks (daemon and emulator) jump to the earliest deadline. Fails after 30 s of real time or
    /// when the next deadline lies beyond `limit` of virtual time.
    func run(
        until what: String, limit: Duration = .seconds(86_400), stoppingAt stop: Duration? = nil,
        _ condition: () async throws -> Bool
    ) async throws {
        let real = ContinuousClock()
        let deadline = real.now + .seconds(30)
        // All services asleep on three checks in a row (0.1 ms apart): a service just woken by a signal may still count
        // as a sleeper for an instant (its timeout sleep not cancelled yet), and jumping then would skip its work.
        // The condition may scan the outbox: it is asked before every jump, and every 10 ms while services work.
        var quiet = 0
        if try await condition() { return }
        var asked = real.now
        while true {
            guard real.now < deadline else { throw RigError("\(what): still not true after 30 s of real time") }
            quiet = clock.sleeperCount >= serviceCount ? quiet + 1 : 0
            if quiet >= 3 || asked.duration(to: real.now) > .milliseconds(10) {
                if try await condition() { return }
                asked = real.now
            }
            if quiet >= 3, var next = clock.nextDeadline {
                quiet = 0
                if let stop, stop < next.offset { next = clock.now.advanced(by: stop - clock.now.offset) }
                guard next.offset <= limit else {
                    throw RigError("\(what): not true within \(limit) of virtual time (next wake at \(next.offset))")
                }
                let step = clock.now.duration(to: next)
                await fixture.emulator.advanceClock(by: step.seconds)
                clock.advance(to: next)
            }
            await Task.yield()
            try await real.sleep(for: .microseconds(100))
        }
    }

    struct RigError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

/// A log handler that keeps every message, for asserting what the services said.
final class CapturedLog: LogHandler, Sendable {
    private let lines = Mutex<[String]>([])

    var messages: [String] { lines.withLock { $0 } }

    func contains(_ text: String) -> Bool { messages.contains { $0.contains(text) } }

    func log(event: LogEvent) {
        lines.withLock { $0.append("\(event.level) \(event.message)") }
    }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }

    var logLevel: Logger.Level {
        get { .debug }
        set {}
    }

    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }
}
