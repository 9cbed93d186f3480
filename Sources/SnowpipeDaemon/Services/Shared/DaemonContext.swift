import Foundation
import IngestCore
import Logging
import Outbox
import SnowpipeAPI
import Synchronization

/// What the daemon's services share: the configuration, the outbox, the client, and the wake-up signals that
/// let one stage nudge the next (they never call each other; the outbox is the only channel of truth).
final class DaemonContext: Sendable {
    let configuration: DaemonConfiguration
    let outbox: Outbox
    let client: SnowpipeClient
    let logger: Logger
    /// Wall clock (injected for tests).
    let now: @Sendable () -> Date
    /// Per pipe: its wake-up signals, built from its mode.
    private let pipeSignals: [String: PipeSignals]
    /// Finished files whose after-load/after-failure action is due.
    let actionWake = WakeSignal()
    /// Pipes no rule names any more whose submitted files are still followed by a reporter (`RetiredPipeRule`).
    let followedPipes: [String]
    /// The outbox was created by this start (nothing was known before: every file found is new to it).
    let freshOutbox: Bool
    /// Per pipe backoff, shared by the pipe's batcher and reporter.
    let health: [String: PipeHealth]
    /// Per upload pipe: the uploads' own backoff (0.5 s doubling to 60 s), apart from the pipe's: a failing stage
    /// does not slow insertFiles of files already staged.
    let uploadHealth: [String: PipeHealth]
    /// Random numbers in [0, 1) for jitter.
    let random: @Sendable () -> Double
    /// Final statuses logged since start, for the status line.
    private let outcomes = Mutex<[FileState: Int]>([:])
    /// Final states in the outbox before this start: read once (a count over every row at each status tick would
    /// cost an idle daemon with a million finished files real CPU), then the totals are these plus `outcomes`.
    private let earlierTotals = Mutex<[FileState: Int]?>(nil)
    /// The Prometheus instruments (counted always, served only with `metrics.listen`).
    let metrics: DaemonMetrics
    /// Files the watcher saw that wait to settle (not in the outbox yet), as of its last turn.
    let settling = Mutex(0)
    /// Liveness of the loops, for the systemd watchdog.
    let heartbeats: Heartbeats

    init(
        configuration: DaemonConfiguration,
        outbox: Outbox,
        client: SnowpipeClient,
        logger: Logger,
        followedPipes: [String] = [],
        freshOutbox: Bool = false,
        metrics: DaemonMetrics = DaemonMetrics(),
        now: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        heartbeatInterval: Duration = .seconds(10),
        monotonic: (@Sendable () -> Duration)? = nil
    ) {
        heartbeats = Heartbeats(interval: heartbeatInterval, now: monotonic)
        self.configuration = configuration
        self.outbox = outbox
        self.client = client
        self.logger = logger
        self.now = now
        self.random = random
        let streamPipes = Set(configuration.watches.filter { $0.stream != nil }.map(\.pipe))
        pipeSignals = Dictionary(
            uniqueKeysWithValues: configuration.pipes.map { pipe in
                let mode: PipeSignals.Mode =
                    streamPipes.contains(pipe) ? .stream : configuration.uploadPipes.contains(pipe) ? .upload : .local
                return (pipe, PipeSignals(mode: mode))
            })
        self.followedPipes = followedPipes
        self.freshOutbox = freshOutbox
        self.metrics = metrics
        health = Dictionary(
            uniqueKeysWithValues: (configuration.pipes + followedPipes).map { ($0, PipeHealth(pipe: $0)) })
        uploadHealth = Dictionary(
            uniqueKeysWithValues: configuration.uploadPipes.map {
                ($0, PipeHealth(pipe: $0, policy: RetryPolicy(base: .milliseconds(500))))
            })
    }

    /// The wake-up signals of a pipe the configuration names (a fresh, unconnected set for any other).
    func signals(_ pipe: String) -> PipeSignals {
        pipeSignals[pipe] ?? PipeSignals(mode: .local)
    }

    /// The logger with the pipe in its metadata.
    func logger(forPipe pipe: String) -> Logger {
        var logger = logger
        logger[metadataKey: FileOutcomeLog.Key.pipe] = "\(pipe)"
        return logger
    }

    /// Logs a file's final status (once) and counts it.
    func announce(_ file: FileRecord) {
        FileOutcomeLog.log(file, logger: logger)
        metrics.finished(file)
        outcomes.withLock { $0[file.state, default: 0] += 1 }
    }

    /// Final statuses logged since start.
    var outcomeCounts: [FileState: Int] { outcomes.withLock { $0 } }

    /// The one-line summary for `sd_notify STATUS=`: what waits, what finished, what the pipes wait for.
    func statusLine() async -> String {
        var pending = 0
        var submitted = 0
        for pipe in configuration.pipes + followedPipes {
            pending += (try? await outbox.pendingCount(pipe: pipe)) ?? 0
            submitted += (try? await outbox.submittedCount(pipe: pipe)) ?? 0
        }
        func outcomes(_ count: (FileState) -> Int) -> String {
            let failed = [FileState.loadFailed, .rejected, .notReported].reduce(0) { $0 + count($1) }
            return "\(count(.loaded)) loaded, \(count(.partiallyLoaded)) partially, \(failed) failed, "
                + "\(count(.skipped)) skipped"
        }
        let sinceStart = outcomeCounts
        let settling = settling.withLock { $0 }
        var line =
            (settling > 0 ? "\(settling) settling, " : "") + "\(pending) pending, \(submitted) awaiting report; "
            + "since start " + outcomes { sinceStart[$0] ?? 0 }
        // Totals survive restarts: the outbox's counts when first asked (minus what this run had ended by then),
        // plus what this run ended since.
        if earlierTotals.withLock({ $0 }) == nil, let summaries = try? await outbox.summary() {
            let ended = outcomeCounts
            var earlier: [FileState: Int] = [:]
            for state in FileState.allCases where state.isTerminal {
                let inOutbox = summaries.reduce(0) { $0 + ($1.counts[state.rawValue] ?? 0) }
                earlier[state] = inOutbox - (ended[state] ?? 0)
            }
            earlierTotals.withLock { $0 = $0 ?? earlier }
        }
        if let earlier = earlierTotals.withLock({ $0 }) {
            line += "; in the outbox " + outcomes { (earlier[$0] ?? 0) + (sinceStart[$0] ?? 0) }
        }
        let waits =
            health.values.compactMap { pipe in pipe.waitingFor.map { "\(pipe.pipe): \($0)" } }
            + uploadHealth.values.compactMap { pipe in pipe.waitingFor.map { "\(pipe.pipe) uploads: \($0)" } }
        if waits.isEmpty == false { line += "; backing off: " + waits.sorted().joined(separator: ", ") }
        return line
    }

    /// The watch rule a finished file belongs to: the deepest of its pipe's rules holding it (`owner(of:)`).
    func rule(for file: FileRecord) -> WatchRule? {
        configuration.watches.owner(of: file.localPath, pipe: file.pipe).map { configuration.watches[$0] }
    }
}
