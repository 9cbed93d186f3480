import Foundation
import IngestCore
import Logging
import Outbox
import ServiceLifecycle
import SnowflakeAuth
import SnowpipeAPI
import Systemd

/// Wires the daemon: opens the outbox, loads the key, and runs the services under a `ServiceGroup` that turns
/// SIGTERM/SIGINT into a graceful drain (the watcher stops first; state is durable at every step).
public enum Daemon {
    /// Longest graceful shutdown before remaining work is cancelled (all of it is durable).
    public static let shutdownGrace = Duration.seconds(10)

    /// Runs until SIGTERM/SIGINT.
    /// - Parameter onReady: called once the outbox is open, watches are armed and the startup scan committed.
    /// - Parameter signals: installed by the caller as early as possible (see `SignalShutdown`).
    public static func run(
        configuration: DaemonConfiguration, version: String, logger: Logger, signals: SignalShutdown,
        onReady: @escaping @Sendable () -> Void = {}
    ) async throws {
        do {
            try FileManager.default.createDirectory(
                atPath: configuration.stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw SetupError("cannot create the state directory \(configuration.stateDirectory): \(error)")
        }
        let lock = try StateDirectoryLock(stateDirectory: configuration.stateDirectory)
        defer { withExtendedLifetime(lock) {} }
        let freshOutbox = FileManager.default.fileExists(atPath: configuration.databasePath) == false
        let outbox = try Outbox(path: configuration.databasePath)
        let retirement = try await retirePipes(configuration: configuration, outbox: outbox, logger: logger)
        let connection = try SnowflakeConnection(settings: configuration.snowflake)
        let client = connection.client(retrying: .init(maximumAttempts: 1), version: version)
        // Loops beat at least every 10 s, or more often when the systemd watchdog is tighter.
        let beat = ServiceNotifier().watchdogInterval.map { min($0 / 4, .seconds(10)) } ?? .seconds(10)
        let context = DaemonContext(
            configuration: configuration, outbox: outbox, client: client, logger: logger,
            followedPipes: retirement.followed, freshOutbox: freshOutbox, heartbeatInterval: beat)
        for file in retirement.ended { context.announce(file) }
        logger.notice(
            Logger.Message(
                stringLiteral:
                    "snowpiped \(version) starting: \(configuration.watches.count) watched director(y/ies), pipes "
                    + configuration.pipes.joined(separator: ", ") + ", outbox \(configuration.databasePath), key "
                    + connection.key.fingerprint))
        let clock = ContinuousClock()
        var services: [any Service] = [
            PrunerService(context: context, clock: clock), ActionService(context: context, clock: clock),
        ]
        for pipe in configuration.filePipes {
            services.append(ReporterService(context: context, pipe: pipe, clock: clock))
            services.append(BatcherService(context: context, pipe: pipe, clock: clock))
        }
        for pipe in retirement.followed {
            services.append(ReporterService(context: context, pipe: pipe, clock: clock))
        }
        let session = connection.sessionClient(version: version)
        for pipe in configuration.uploadPipes.sorted() {
            services.append(
                UploadService(
                    context: context, pipe: pipe, session: session, transport: connection.transport, clock: clock))
        }
        let streamingClient = connection.streamingClient(version: version)
        for rule in configuration.watches {
            guard let stream = rule.stream else { continue }
            services.append(
                StreamService(context: context, rule: rule, settings: stream, client: streamingClient, clock: clock))
        }
        if let settings = configuration.metrics {
            services.append(MetricsEndpoint.service(settings: settings, context: context, logger: logger))
        }
        let notifier = ServiceNotifier()
        services.append(SystemdService(context: context, notifier: notifier, clock: clock))
        services.append(
            WatchService(context: context, clock: clock) {
                notifier.ready(
                    status: "watching \(configuration.watches.count) director(y/ies) for "
                        + configuration.pipes.joined(separator: ", "))
                onReady()
            })
        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = shutdownGrace
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                await signals.attach(group)
                try await tasks.waitForAll()
            }
        } catch {
            await session.close()
            await connection.shutdown()
            throw error
        }
        await session.close()
        await connection.shutdown()
        logger.notice("snowpiped stopped")
    }
}

extension Daemon {
    /// Settles the rows of pipes the configuration no longer names (`RetiredPipeRule`), before the first scan, and
    /// says what it did. Throws only when the outbox cannot be written.
    static func retirePipes(
        configuration: DaemonConfiguration, outbox: Outbox, logger: Logger
    ) async throws -> Retirement {
        let classifier = FileClassifier(rules: configuration.watches)
        let retirement: Retirement
        do {
            retirement = try await outbox.retire(
                pipesOtherThan: Set(configuration.pipes), covered: { classifier.rule(for: $0) != nil }, now: Date())
        } catch {
            throw SetupError(error)
        }
        for (pipe, count) in retirement.released.sorted(by: { $0.key < $1.key }) {
            logger.notice(
                Logger.Message(
                    stringLiteral:
                        "pipe \(pipe) is no longer named by any watch rule: \(count) file(s) never sent to it go to "
                        + "the rule that covers them now"),
                metadata: [FileOutcomeLog.Key.pipe: "\(pipe)"])
        }
        for pipe in retirement.followed {
            logger.notice(
                Logger.Message(
                    stringLiteral:
                        "pipe \(pipe) is no longer named by any watch rule: its files already submitted are followed "
                        + "to their final status; nothing new is sent to it"),
                metadata: [FileOutcomeLog.Key.pipe: "\(pipe)"])
        }
        if retirement.ended.isEmpty == false {
            logger.warning(
                Logger.Message(
                    stringLiteral:
                        "\(retirement.ended.count) file(s) of pipe(s) no watch rule names any more ended now, each "
                        + "with its reason below"))
        }
        return retirement
    }
}

extension SetupError {
    init(_ error: OutboxError) { self.init(error.description) }
}
