import Codecs
import Foundation
import IngestCore
import Logging
import Outbox
import ServiceLifecycle
import SnowpipeAPI

/// One stream-mode rule's sender, a thin driver of `ChannelPlanner` (when to open, append, read the status or
/// wait), `ChannelProgress` (which files a committed offset ends, where to resume) and `ChannelErrorLedger`
/// (which file rejected rows belong to).
///
/// Pending files get the channel's next sequence numbers (committed) before their first append; their rows go
/// out in chunks of at most `chunkBytes` (several small files share a chunk), zstd-compressed, each with the
/// offset token of its last row. A file ends only when the channel's committed offset token reaches its end
/// row. Every failure that can leave the server ahead of or behind us (a stale continuation token, a 409, a
/// lost answer whose retry is stale) reopens the channel and resumes from the committed offset token, so no
/// committed row is appended twice and no uncommitted one is skipped.
actor StreamService<C: Clock>: Service where C.Duration == Duration {
    /// Uncompressed rows per append (`StreamingLimits.chunkBytes`).
    static var chunkBytes: Int { StreamingLimits.chunkBytes }
    /// At most this many files start streaming at once (sequence numbers given in one transaction).
    static var startLimit: Int { 1000 }
    /// Recheck for pending files this often even without a wake-up.
    static var idleRecheck: Duration { .seconds(60) }

    let context: DaemonContext
    let rule: WatchRule
    let settings: StreamSettings
    let client: StreamingClient
    let clock: C
    let logger: Logger
    /// The pipe's shared health: here only for `alert` (how loud a refusal is), the channel planner backs off.
    let health: PipeHealth
    /// The outbox key of the channel: the pipe and the channel's name.
    let channelKey: String
    private var planner: ChannelPlanner
    private var commitWatch: CommitWatch
    private var ledger = ChannelErrorLedger()
    private var continuation: String?
    /// Files to append, in sequence order; the first may be part-way through.
    private var queue: [FileCursor] = []
    /// The committed token and the files appended and not ended in this channel session, with its rules.
    private var session = ChannelSession()
    /// An append is on its way: whatever fails now (the token exchange included) fails the append.
    private var appending = false

    init(context: DaemonContext, rule: WatchRule, settings: StreamSettings, client: StreamingClient, clock: C) {
        self.context = context
        self.rule = rule
        self.settings = settings
        self.client = client
        self.clock = clock
        channelKey = rule.pipe + "/" + settings.channel
        var logger = context.logger(forPipe: rule.pipe)
        logger[metadataKey: "snowpipe.channel"] = "\(settings.channel)"
        self.logger = logger
        health = context.health[rule.pipe]!
        planner = ChannelPlanner(pollInterval: context.configuration.reporter.streamPollSeconds)
        commitWatch = CommitWatch(stallAfter: context.configuration.reporter.streamStallMinutes * 60)
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    private func loop() async {
        // Files an earlier run sent and Snowflake has not confirmed: only an open can say how far they were committed.
        if (try? await context.outbox.streamingFiles(channel: channelKey).isEmpty) == false { planner.closed() }
        let loop = ServiceLoop(
            name: "stream \(rule.pipe)", heartbeats: context.heartbeats, wake: context.signals(rule.pipe).pending,
            clock: clock, logger: logger)
        await loop.run { _ in
            try await turn()
        } failed: { error in
            guard let error = error as? SnowpipeError else { return false }
            await handle(error)
            return true
        }
    }

    /// One step of the channel: take pending files, then open, append, poll or wait as the planner says.
    private func turn() async throws -> ServiceLoop<C>.Next {
        var pending = try await context.outbox.pendingCount(pipe: rule.pipe)
        if queue.isEmpty, planner.isOpen, pending > 0 {
            try await takePendingFiles()
            pending = 0
        }
        let now = context.now().timeIntervalSince1970
        switch planner.next(
            now: now, rowsToAppend: queue.isEmpty == false || pending > 0, uncommittedFiles: session.appended.count)
        {
        case .open: try await open()
        case .append: try await appendChunk()
        case .poll: try await poll()
        case .wait(let until): return .wait(.from(context.now(), until: until))
        case .idle: return .wait(Self.idleRecheck)
        }
        return .again
    }

    // MARK: Actions

    /// Opens (or reopens) the channel, ends the files its committed offset token covers, and queues the rest from
    /// their first uncommitted row.
    private func open() async throws {
        let response = try await client.openChannel(pipe: rule.pipe, channel: settings.channel)
        continuation = response.nextContinuationToken
        let status = response.channelStatus
        let committed = status.lastCommittedOffsetToken.flatMap(StreamOffset.init)
        if let token = status.lastCommittedOffsetToken, committed == nil {
            logger.warning(
                Logger.Message(
                    stringLiteral: "channel \(settings.channel) has a committed offset token snowpiped did not write "
                        + "(\(token)); treating it as empty. Is another client using this channel? Give this rule its "
                        + "own `channel`"))
        }
        ledger.opened(errorCount: status.rowsErrorCount, committed: committed)
        let files = try await context.outbox.streamingFiles(channel: channelKey)
        let verdict = session.opened(committed: committed, files: files.map(\.open))
        try await end(verdict.committed)
        let byID = Dictionary(uniqueKeysWithValues: files.map { ($0.file.id, $0) })
        queue = verdict.resume.compactMap { resume in
            byID[resume.id].map { FileCursor(file: $0, fromRow: resume.fromRow) }
        }
        planner.opened(now: context.now().timeIntervalSince1970)
        health.succeeded(now: context.now())
        logger.info(
            Logger.Message(
                stringLiteral: "channel \(settings.channel) open: committed through "
                    + "\(committed?.description ?? "nothing yet"), \(queue.count) file(s) to (re)send"))
    }

    /// Gives pending files their sequence numbers and queues them.
    private func takePendingFiles() async throws {
        let started = try await context.outbox.startStreaming(
            pipe: rule.pipe, channel: channelKey, limit: Self.startLimit, now: context.now())
        queue += started.map { FileCursor(file: $0, fromRow: 1) }
        context.metrics.submitted(pipe: rule.pipe, files: started.map(\.file), at: context.now())
    }

    /// Appends the next chunk: rows from the head of the queue onwards, up to `chunkBytes`.
    private func appendChunk() async throws {
        guard let continuation else { return }
        var chunk = Chunk()
        var index = 0
        while index < queue.count, chunk.full == false {
            if queue[index].reader == nil {
                var cursor = queue[index]
                if let problem = await cursor.load(compression: settings.compression, format: settings.format) {
                    try await abandon(cursor, reason: problem)
                    queue.remove(at: index)
                    continue
                }
                queue[index] = cursor
            }
            // The file's blocks are read off the pool as they are needed: the cursor is copied across the wait.
            var cursor = queue[index]
            await cursor.fill(&chunk, limit: Self.chunkBytes)
            guard index < queue.count, queue[index].file.file.id == cursor.file.file.id else { return }
            queue[index] = cursor
            if queue[index].exhausted { index += 1 } else { break }
        }
        if let token = chunk.token, chunk.rows > 0 {
            appending = true
            defer { appending = false }
            let response = try await client.appendRows(
                pipe: rule.pipe, channel: settings.channel, continuationToken: continuation,
                offsets: StreamingClient.ChunkOffsets(
                    first: (chunk.firstToken ?? token).description, last: token.description),
                rows: Zstd.compress(chunk.payload), encoding: "zstd")
            self.continuation = response.nextContinuationToken
            planner.appended(now: context.now().timeIntervalSince1970)
            context.metrics.request(pipe: rule.pipe, operation: "appendRows", status: 200)
            health.succeeded(now: context.now())
            context.metrics.appended(pipe: rule.pipe, rows: chunk.rows, bytes: chunk.payload.count)
            context.metrics.uncommittedFiles(pipe: rule.pipe, session.appended.count)
            logger.debug(
                "appended \(chunk.rows) row(s) through \(token)",
                metadata: ["stream.files": "\(queue[..<min(index + 1, queue.count)].map(\.file.sequence))"])
            for position in queue.indices where queue[position].consumedInChunk > 0 {
                queue[position].chunkSent()
                session.appending(
                    ChannelProgress.OpenFile(
                        id: queue[position].file.file.id, sequence: queue[position].file.sequence, lastRow: nil))
            }
        }
        // Files whose every row is consumed (when nothing was sent, their remaining rows were all refused).
        let completed = Array(queue[..<index])
        queue.removeFirst(index)
        try await finish(completed)
    }

    /// Records files whose every row was consumed: their end row, or their end at once when none was ever sent
    /// or the committed token already covers it. One transaction for all of them, one for those that end.
    private func finish(_ files: [FileCursor]) async throws {
        guard files.isEmpty == false else { return }
        try await context.outbox.streamAppended(
            files.map {
                Outbox.Consumed(
                    fileID: $0.file.file.id, lastRow: $0.lastSentRow, totalRows: $0.lastConsumedRow,
                    refused: $0.refused, firstError: $0.firstError)
            })
        try await end(
            session.consumed(
                files.map {
                    ChannelProgress.OpenFile(id: $0.file.file.id, sequence: $0.file.sequence, lastRow: $0.lastSentRow)
                }))
    }

    /// Reads the channel status: ends the files the committed offset token covers, attributes rejected rows.
    private func poll() async throws {
        let read = try await client.channelStatus(pipe: rule.pipe, channel: settings.channel)
        let newCommitted = read?.lastCommittedOffsetToken.flatMap(StreamOffset.init)
        let verdict = session.observe(
            read.map { .status(code: $0.statusCode, committed: newCommitted) } ?? .missing)
        guard case .ended(let ended) = verdict, let status = read else {
            // Rows in flight are gone: reopen and resend from the committed offset token.
            if case .reopen(let reason) = verdict {
                logger.warning("channel \(settings.channel): \(reason); reopening it")
                context.metrics.channelReopened(pipe: rule.pipe, reason: "status")
            }
            forgetSession()
            return
        }
        if let attribution = ledger.observe(
            errorCount: status.rowsErrorCount,
            lastErrorOffset: status.lastErrorOffsetUpperBound.flatMap(StreamOffset.init),
            message: status.lastErrorMessage, committed: newCommitted)
        {
            try await context.outbox.streamRejected(
                channel: channelKey, sequence: attribution.sequence, rows: Int64(attribution.errors),
                message: attribution.message)
            if attribution.ambiguous {
                logger.warning(
                    Logger.Message(
                        stringLiteral:
                            "Snowflake rejected \(attribution.errors) row(s) in commits that spanned several "
                            + "files; it names only the last error's file (sequence \(attribution.sequence)), which is "
                            + "marked with all of them. Check the table's error log for the others"))
            }
        }
        try await end(ended)
        let now = context.now().timeIntervalSince1970
        planner.polled(now: now, waiting: session.waiting)
        try await report(commitWatch.observe(committed: session.committed, waiting: session.waiting, now: now))
        context.metrics.commitWait(pipe: rule.pipe, seconds: commitWatch.waitingSince.map { now - $0 } ?? 0)
    }

    /// Tells the operator when the channel's commit stalls and when it moves again (journal and `status`).
    private func report(_ event: CommitWatch.Event) async throws {
        switch event {
        case .none: return
        case .stalled(let seconds):
            let through = session.committed?.description ?? "nothing yet"
            let files = session.appended.count
            let minutes = Int(seconds / 60)
            let problem =
                "channel \(settings.channel): \(files) file(s) appended, their rows not committed for \(minutes) min "
                + "(committed through \(through)); Snowflake has not said why: check the pipe's table and "
                + "SYSTEM$PIPE_STATUS. Nothing is ended for it"
            logger.warning(Logger.Message(stringLiteral: problem))
            try await context.outbox.setSubmitProblem(pipe: rule.pipe, problem, now: context.now())
        case .resumed:
            logger.notice("channel \(settings.channel): commits move again")
            try await context.outbox.setSubmitProblem(pipe: rule.pipe, nil, now: context.now())
        }
    }

    /// Drops what this channel session queued and appended and closes the channel: the next open rebuilds it
    /// from the outbox and the committed offset token.
    private func forgetSession() {
        planner.closed()
        queue = []
        session.forget()
    }

    // MARK: Outcomes

    /// Ends these files as committed; sets the uncommitted-files gauge either way (a status read that ends nothing
    /// still says how many wait).
    private func end(_ ids: [Int64]) async throws {
        context.metrics.uncommittedFiles(pipe: rule.pipe, session.appended.count)
        guard ids.isEmpty == false else { return }
        let files = try await context.outbox.streamCommitted(ids: ids, now: context.now())
        for file in files {
            context.announce(file)
            context.metrics.committed(pipe: rule.pipe, rows: file.rowsInserted ?? 0, rejected: file.errorsSeen ?? 0)
        }
        if files.isEmpty == false { context.actionWake.signal() }
    }

    private func abandon(_ cursor: FileCursor, reason: String) async throws {
        let files = try await context.outbox.streamAbandoned(
            fileID: cursor.file.file.id, committedRows: session.committedRows(ofFile: cursor.file.sequence),
            reason: reason, now: context.now())
        for file in files { context.announce(file) }
        context.actionWake.signal()
    }

    /// Performs what the planner decided about a failed call. Whenever the channel must be reopened, what was
    /// queued or appended in this session is forgotten: the reopen rebuilds it from the outbox and the committed
    /// offset token.
    private func handle(_ error: SnowpipeError) async {
        context.metrics.request(pipe: rule.pipe, operation: error.operation, status: error.status)
        let decision = planner.failed(
            error.outcome, code: error.code, appending: appending || error.operation == "appendRows",
            opening: error.operation == "openChannel", tokenRenewed: error.renewedToken,
            now: context.now().timeIntervalSince1970, random: context.random(),
            reason: error.description)
        if planner.isOpen == false { forgetSession() }
        let now = context.now().timeIntervalSince1970
        switch decision {
        case .reopen(let at):
            context.metrics.channelReopened(pipe: rule.pipe, reason: "refused")
            let message = Logger.Message(
                stringLiteral: "\(error.operation) on channel \(settings.channel): \(error.description); "
                    + "reopening it in \(String(format: "%.1f", at - now)) s to resume from its committed offset "
                    + "token (no file is ended for a channel's refusal)")
            if planner.backoff.failures > 3 { logger.warning(message) } else { logger.notice(message) }
        case .renewToken:
            _ = try? await client.exchange(pipe: rule.pipe)
        case .retry(let at):
            let (level, note) = health.alert(error)
            logger.log(
                level: level,
                Logger.Message(
                    stringLiteral: "\(error.description); retrying in \(String(format: "%.1f", at - now)) s\(note)"))
        case .paused(let until):
            let (level, note) = health.alert(error)
            logger.log(
                level: level,
                Logger.Message(
                    stringLiteral: "\(error.description); streaming to this pipe is paused for \(Int(until - now)) s"
                        + note))
        }
    }
}
