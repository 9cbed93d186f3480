import Foundation
import IngestCore
import Logging
import Outbox
import SnowpipeAPI

/// What the daemon's services share: the configuration, the outbox, the client, and the wake-up signals that
/// let one stage nudge the next (they never call each other; the outbox is the only channel of truth).
public final class DaemonContext: Sendable {
    public let configuration: DaemonConfiguration
    public let outbox: Outbox
    public let client: SnowpipeClient
    public let logger: Logger
    /// Wall clock (injected for tests).
    public let now: @Sendable () -> Date
    /// Per pipe: new pending files.
    public let batchWake: [String: WakeSignal]
    /// Per pipe: new submitted files.
    public let reportWake: [String: WakeSignal]
    /// Finished files whose after-load/after-failure action is due.
    public let actionWake = WakeSignal()
    /// Per pipe backoff.
    public let throttles: [String: PipeThrottle]
    /// Random numbers in [0, 1) for jitter.
    public let random: @Sendable () -> Double

    public init(
        configuration: DaemonConfiguration,
        outbox: Outbox,
        client: SnowpipeClient,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.configuration = configuration
        self.outbox = outbox
        self.client = client
        self.logger = logger
        self.now = now
        self.random = random
        batchWake = Dictionary(uniqueKeysWithValues: configuration.pipes.map { ($0, WakeSignal()) })
        reportWake = Dictionary(uniqueKeysWithValues: configuration.pipes.map { ($0, WakeSignal()) })
        throttles = Dictionary(uniqueKeysWithValues: configuration.pipes.map { ($0, PipeThrottle(pipe: $0)) })
    }

    /// The watch rule a finished file belongs to (by pipe and directory).
    public func rule(for file: FileRecord) -> WatchRule? {
        configuration.watches.first { $0.pipe == file.pipe && file.localPath.hasPrefix($0.directory + "/") }
    }
}
