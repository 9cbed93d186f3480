import Foundation
import GRDB
import IngestCore
import Logging

extension SnowpipeEmulator {
    /// Loads every queued file whose time has come; returns how many jobs ran. Rows are committed to the
    /// tables before the files' events become visible.
    @discardableResult
    public func runDueLoads() async -> Int {
        let now = clock.now()
        let due = queue.filter { $0.due <= now }
        guard due.isEmpty == false else { return 0 }
        queue.removeAll { $0.due <= now }
        loadsInFlight += 1
        defer {
            loadsInFlight -= 1
            if loadsInFlight == 0 {
                for waiter in idleWaiters { waiter.resume() }
                idleWaiters.removeAll()
            }
        }
        let work = due.map { job in (job, pipes[job.pipe]!, policies[job.pipe]!) }
        let threshold = configuration.inProgressThresholdBytes
        let source = StagedObjectSource(
            storage: configuration.stageStorage, stages: stages, materials: stageMaterials,
            s3: configuration.stageStorage.map(stageS3))
        let results = await Self.execute(work, inProgressThreshold: threshold, source: source)
        let batches = results.filter { $0.insertRows }.map { (table: pipes[$0.job.pipe]!.table, rows: $0.outcome.rows) }
        let finishedAt = clock.now()
        let prepared = results.map { prepare($0, at: finishedAt) }
        // Sequence numbers are given here and the events applied below with no suspension in between, so the
        // stored events and the ring agree.
        var nextSequences: [String: Int] = [:]
        var stored: [TableStore.StoredEvent] = []
        for event in prepared {
            let sequence = nextSequences[event.pipe] ?? states[event.pipe]!.nextSequence
            nextSequences[event.pipe] = sequence + 1
            stored.append(.init(pipe: event.pipe, sequence: sequence, loadID: event.loadID, entry: event.entry))
        }
        let requeued = prepared.compactMap(\.requeue)
        let requeuedIDs = Set(requeued.map(\.id))
        do {
            // The rows, their events and the end of their jobs in one transaction: a crash never loads twice.
            try tables.commitLoads(
                rows: batches, events: stored, finishedJobs: due.map(\.id).filter { !requeuedIDs.contains($0) },
                requeued: requeued, nextSequences: nextSequences)
        } catch {
            logger.error("cannot store loaded rows", metadata: ["error": "\(error)"])
        }
        for event in prepared { apply(event) }
        return due.count
    }

    /// Runs due loads and streamed commits until none is left and no load is running (a manual clock stays where
    /// it is).
    public func flushLoads() async {
        while true {
            if await runDueLoads() > 0 { continue }
            if commitDueAppends() > 0 { continue }
            if loadsInFlight == 0 { return }
            await withCheckedContinuation { idleWaiters.append($0) }
        }
    }

    /// Moves the emulator clock forward and performs every load that became due.
    public func advanceClock(by seconds: TimeInterval) async {
        clock.advance(by: seconds)
        await flushLoads()
    }

    /// The live loader: sleeps until the next load or streamed commit is due (or new work arrives) and does it.
    /// Runs until cancelled. With a manual clock it only reacts to new work; tests move time with `advanceClock`.
    public func runLoader() async {
        while Task.isCancelled == false {
            await runDueLoads()
            commitDueAppends()
            let next = [queue.map(\.due).min(), nextStreamingCommit].compactMap { $0 }.min()
            if let next, clock.isManual == false {
                let wait = max(0.001, next.timeIntervalSince(clock.now()))
                await wakeup.wait(timeout: .milliseconds(Int64(wait * 1000)))
            } else {
                await wakeup.wait()
            }
        }
    }

    /// One job's result and whether its rows go in now.
    struct JobResult: Sendable {
        var job: LoadJob
        var outcome: LoadOutcome
        var insertRows: Bool
        var inProgress: Bool
    }

    /// Reads and parses the files off the actor.
    private nonisolated static func execute(
        _ work: [(LoadJob, PipeDefinition, OnErrorPolicy)], inProgressThreshold: Int?, source: StagedObjectSource
    ) async -> [JobResult] {
        var results: [JobResult] = []
        for (job, pipe, policy) in work {
            if let outcome = job.finishing {
                results.append(JobResult(job: job, outcome: outcome, insertRows: true, inProgress: false))
                continue
            }
            let loader = FileLoader(pipe: pipe, policy: policy)
            let outcome: LoadOutcome
            if pipe.stage != nil {
                switch await source.fetch(pipe: pipe, path: job.path) {
                case .success(let bytes): outcome = loader.load(bytes: bytes, path: job.path)
                case .failure(let failure): outcome = loader.failed(systemError: failure.message, fileSize: 0)
                }
            } else {
                outcome = loader.load(path: job.path)
            }
            let large = inProgressThreshold.map { outcome.fileSize > $0 } ?? false
            let goesInProgress = large && outcome.status != .loadFailed
            results.append(
                JobResult(job: job, outcome: outcome, insertRows: !goesInProgress, inProgress: goesInProgress))
        }
        return results
    }

    /// A finished load, ready to be stored and applied.
    struct PreparedEvent: Sendable {
        var pipe: String
        var loadID: Int
        var entry: FileEntry
        /// The second phase of a large file, queued again.
        var requeue: LoadJob?
        var outcome: LoadOutcome
        var table: String
    }

    private func prepare(_ result: JobResult, at now: Date) -> PreparedEvent {
        // `states[...]!` mutates in place: a `var state = states[...]` copy would duplicate the pipe's whole
        // history and dedup map for every loaded file (quadratic at 100k files).
        let pipe = pipes[result.job.pipe]!
        let outcome = result.outcome
        let stamp = states[pipe.name]!.stamp(now, perMillisecond: configuration.eventsPerMillisecond)
        var entry = FileEntry(
            path: result.job.path,
            stageLocation: stageLocation(of: pipe),
            fileSize: outcome.fileSize, timeReceived: result.job.receivedAt, lastInsertTime: stamp,
            rowsInserted: outcome.rowsInserted, rowsParsed: outcome.rowsParsed, errorsSeen: outcome.errorsSeen,
            errorLimit: outcome.errorLimit, complete: true, status: outcome.status,
            firstError: outcome.firstError, systemError: outcome.systemError)
        var requeue: LoadJob?
        if result.inProgress {
            entry.status = .loadInProgress
            entry.complete = false
            entry.rowsInserted = outcome.rowsInserted / 2
            entry.rowsParsed = outcome.rowsParsed / 2
            entry.firstError = nil
            var finish = result.job
            finish.finishing = outcome
            finish.due = now.addingTimeInterval(configuration.inProgressSeconds)
            requeue = finish
        }
        return PreparedEvent(
            pipe: pipe.name, loadID: result.job.id, entry: entry, requeue: requeue, outcome: outcome, table: pipe.table)
    }

    private func apply(_ event: PreparedEvent) {
        if let requeue = event.requeue {
            queue.append(requeue)
        } else {
            stats.filesByStatus[event.outcome.status.rawValue, default: 0] += 1
            stats.rowsByTable[event.table, default: 0] += event.outcome.rowsInserted
        }
        states[event.pipe]!.record(event.entry, loadID: event.loadID)
        stats.eventsProduced += 1
        logger.debug(
            "file load event",
            metadata: [
                "pipe": "\(event.pipe)", "path": "\(event.entry.path)", "status": "\(event.entry.status.rawValue)",
            ])
    }
}
