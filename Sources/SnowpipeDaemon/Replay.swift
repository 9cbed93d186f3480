import FileWatching
import Foundation
import IngestCore
import Logging
import Outbox
import ServiceLifecycle
import SnowflakeAuth
import SnowpipeAPI

/// A fixed piece of the daemon's work, to count its instructions (`make bench`'s callgrind scenario, issue 24): once
/// the watcher is ready, `moveIn` puts files into the (empty) watched directory and returns their paths; they are
/// announced as moved in, in batches of `eventBatch` (as the inotify reader hands them over),
/// recorded by the watcher service, submitted by the batcher and followed by the reporter until each has its final
/// status, through `transport` (the emulator in the same process: no sockets, no other process). The services,
/// outbox and clients are the daemon's own; only the event source is scripted. Repeatable: with the whole backlog
/// announced before the batcher's first turn, it sends full batches; what varies with the machine's speed is how
/// many report polls a run makes.
public enum Replay {
    /// What one replay did.
    public struct Result: Sendable {
        public var files: Int
        public var finished: [FileState: Int]
        public var seconds: Double
    }

    /// Runs the replay; returns when every file has a final status (or after `timeout`).
    public static func run(
        configuration: DaemonConfiguration, key: PrivateKey, moveIn: @Sendable () throws -> [String],
        transport: any HTTPTransport, logger: Logger, eventBatch: Int = 512, timeout: Duration = .seconds(3600)
    ) async throws -> Result {
        try FileManager.default.createDirectory(atPath: configuration.stateDirectory, withIntermediateDirectories: true)
        let outbox = try Outbox(path: configuration.databasePath)
        let settings = configuration.snowflake
        let client = SnowflakeConnection.client(
            settings: settings, transport: transport,
            tokens: TokenCache(key: key, account: settings.account, user: settings.user),
            retrying: .init(maximumAttempts: 1), version: "replay")
        let context = DaemonContext(configuration: configuration, outbox: outbox, client: client, logger: logger)
        let events = ScriptedWatchEvents()
        let clock = ContinuousClock()
        var services: [any Service] = [WatchService(context: context, clock: clock, eventSource: events.factory)]
        for pipe in configuration.filePipes {
            services.append(BatcherService(context: context, pipe: pipe, clock: clock))
            services.append(ReporterService(context: context, pipe: pipe, clock: clock))
        }
        let started = ContinuousClock.now
        let all = services
        let running = Task {
            await withTaskGroup(of: Void.self) { group in
                for service in all { group.addTask { try? await service.run() } }
            }
        }
        defer { running.cancel() }
        while events.armedRoots.count < configuration.watches.count {
            try await Task.sleep(for: .milliseconds(5))
        }
        let paths = try moveIn()
        for start in stride(from: 0, to: paths.count, by: max(1, eventBatch)) {
            events.emit(paths[start..<min(start + eventBatch, paths.count)].map { .fileMovedIn($0) })
        }
        let deadline = ContinuousClock.now + timeout
        while context.outcomeCounts.values.reduce(0, +) < paths.count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        running.cancel()
        await running.value
        return Result(
            files: paths.count, finished: context.outcomeCounts,
            seconds: (ContinuousClock.now - started).seconds)
    }
}
