import Foundation
import IngestCore
import Logging
import Outbox
import ServiceLifecycle
import SnowflakeAuth
import SnowpipeAPI
import Synchronization
import Systemd

/// Wires the daemon: opens the outbox, loads the key, and runs the services under a `ServiceGroup` that turns
/// SIGTERM/SIGINT into a graceful drain (the watcher stops first; state is durable at every step). SIGHUP reloads
/// the configuration: a valid new one replaces the running services after the same drain (one process, one
/// outbox, one lock: nothing in flight is lost, since everything in flight is in the outbox); an invalid one is
/// refused with every problem listed, and the running configuration goes on.
public enum Daemon {
    /// Longest graceful shutdown before remaining work is cancelled (all of it is durable).
    public static let shutdownGrace = Duration.seconds(10)

    /// Runs until SIGTERM/SIGINT.
    /// - Parameter reload: reads the configuration again (on SIGHUP); throws its problems.
    /// - Parameter onReady: called once the outbox is open and the watches are armed (again after each reload); the
    ///   start-up scan follows it (DESIGN.md: READY once the outbox is open and watches are armed).
    /// - Parameter signals: installed by the caller as early as possible (see `SignalShutdown`).
    public static func run(
        configuration: DaemonConfiguration, version: String, logger: Logger, signals: SignalShutdown,
        reload: (@Sendable () throws -> DaemonConfiguration)? = nil,
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
        let metrics = DaemonMetrics()
        let next = Mutex<DaemonConfiguration?>(nil)
        if let reload {
            signals.whenReloadRequested {
                guard let accepted = Self.reloaded(current: configuration, reload: reload, logger: logger) else {
                    return false
                }
                next.withLock { $0 = accepted }
                ServiceNotifier().reloading()
                return true
            }
        }
        var current = configuration
        var generation = 0
        while true {
            try await runGeneration(
                configuration: current, outbox: outbox, freshOutbox: freshOutbox && generation == 0, metrics: metrics,
                version: version, logger: logger, signals: signals, reloadPending: { next.withLock { $0 != nil } },
                onReady: onReady)
            guard signals.stopRequested == false, let accepted = next.withLock({ $0.take() }) else { break }
            current = accepted
            generation += 1
            logger.notice(
                Logger.Message(
                    stringLiteral: "configuration reloaded: \(current.watches.count) watched director(y/ies), pipes "
                        + current.pipes.joined(separator: ", ")))
        }
        signals.whenReloadRequested(nil)
        logger.notice("snowpiped stopped")
    }

    /// The new configuration if it may replace `current`, nil (with the reason logged at error) otherwise.
    static func reloaded(
        current: DaemonConfiguration, reload: () throws -> DaemonConfiguration, logger: Logger
    ) -> DaemonConfiguration? {
        let candidate: DaemonConfiguration
        do {
            candidate = try reload()
        } catch {
            logger.error(
                Logger.Message(
                    stringLiteral: "SIGHUP: the configuration was not reloaded, the running one goes on: \(error)"))
            return nil
        }
        if candidate.stateDirectory != current.stateDirectory {
            logger.error(
                Logger.Message(
                    stringLiteral: "SIGHUP: the configuration was not reloaded, the running one goes on: "
                        + "state_directory changed (\(current.stateDirectory) → \(candidate.stateDirectory)); the outbox "
                        + "and its lock stay where they are until a restart (`systemctl restart snowpiped`)"))
            return nil
        }
        logger.notice("SIGHUP: the new configuration is valid; draining the services to apply it")
        return candidate
    }

    /// One configuration's services, until a stop or a reload drains them.
    static func runGeneration(
        configuration: DaemonConfiguration, outbox: Outbox, freshOutbox: Bool, metrics: DaemonMetrics,
        version: String, logger: Logger, signals: SignalShutdown, reloadPending: @Sendable () -> Bool,
        onReady: @escaping @Sendable () -> Void
    ) async throws {
        let retirement = try await retirePipes(configuration: configuration, outbox: outbox, logger: logger)
        let connection = try SnowflakeConnection(settings: configuration.snowflake) { refused, next in
            logger.warning(
                Logger.Message(
                    stringLiteral: "Snowflake refused the token signed with key \(refused); signing with key \(next) "
                        + "from now on (a key rotation: once it works, finish it by making that key private_key_file, "
                        + "removing next_private_key_file, and unsetting the old key's slot with ALTER USER)"),
                metadata: ["snowflake.key_fingerprint": "\(next)"])
        }
        let client = connection.client(retrying: .init(maximumAttempts: 1), version: version)
        // Loops beat at least every 10 s, or more often when the systemd watchdog is tighter.
        let beat = ServiceNotifier().watchdogInterval.map { min($0 / 4, .seconds(10)) } ?? .seconds(10)
        let context = DaemonContext(
            configuration: configuration, outbox: outbox, client: client, logger: logger,
            followedPipes: retirement.followed, freshOutbox: freshOutbox, metrics: metrics, heartbeatInterval: beat)
        for file in retirement.ended { context.announce(file) }
        logger.notice(
            Logger.Message(
                stringLiteral:
                    "snowpiped \(version) starting: \(configuration.watches.count) watched director(y/ies), pipes "
                    + configuration.pipes.joined(separator: ", ") + ", outbox \(configuration.databasePath), key "
                    + connection.key.fingerprint + (connection.nextKey.map { " (next key \($0.fingerprint))" } ?? "")))
        let clock = ContinuousClock()
        var services: [any Service] = [
            PrunerService(context: context, clock: clock), ActionService(context: context, clock: clock),
            HealthService(context: context, clock: clock),
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
        services.append(
            SystemdService(context: context, notifier: notifier, clock: clock) { signals.stopRequested })
        services.append(
            WatchService(
                context: context, clock: clock,
                onReady: {
                    notifier.ready(
                        status: "watching \(configuration.watches.count) director(y/ies) for "
                            + configuration.pipes.joined(separator: ", "))
                    onReady()
                }))
        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = shutdownGrace
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                await signals.attach(group)
                // A reload accepted while no group was attached (the signal handler found none to drain).
                if reloadPending() { await group.triggerGracefulShutdown() }
                try await tasks.waitForAll()
            }
        } catch {
            signals.detach()
            await session.close()
            await connection.shutdown()
            throw error
        }
        signals.detach()
        await session.close()
        await connection.shutdown()
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
