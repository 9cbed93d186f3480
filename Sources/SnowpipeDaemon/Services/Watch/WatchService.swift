import FileWatching
import Foundation
import IngestCore
import Logging
import Outbox
import ServiceLifecycle
import Synchronization

/// Turns file-system activity into outbox rows: inotify events, scans at startup, on `IN_Q_OVERFLOW`, for new
/// directories and periodically. A file moved into the directory is complete and recorded at once (the
/// recommended way to drop files); a file closed after writing, or found by a scan, is taken once it has kept
/// its size and mtime for `settle_seconds` (a writer that appends in steps, or `touch` then write, closes it
/// several times: each close restarts the wait, so one complete version is sent, not the first fragment).
/// Rows are committed in batches, never one transaction per file; the inotify reader runs on its own thread and
/// never waits for this service.
final class WatchService<C: Clock>: Service where C.Duration == Duration {
    /// At most one discovery transaction per interval: at a steady few thousand files a second, committing each
    /// wake-up's one or two files cost 5x the CPU per file of a burst (one fsync'd transaction each); waiting
    /// up to this long gathers them into one, for a few milliseconds of latency.
    static var commitInterval: Duration { .milliseconds(10) }

    let context: DaemonContext
    let clock: C
    let classifier: FileClassifier
    /// Called once every root is armed or known missing (READY), before the start-up scan: from then on a new file
    /// is seen by its event, and every file already there is found by the scan that follows (a crash before the
    /// scan is committed leaves them to the next start's scan). READY does not wait for a large backlog's scan,
    /// which took 5 s for 100,000 files (and would take a systemd start timeout for a few million).
    let onReady: @Sendable () -> Void
    /// Paths already reported as held by another pipe's history (rescans find them again; one warning is enough).
    private let heldReported = Mutex<Set<String>>([])

    /// Where file-system events come from: inotify, or a scripted source on the rig.
    let eventSource: WatchEventSourceFactory

    init(
        context: DaemonContext, clock: C,
        eventSource: @escaping WatchEventSourceFactory = { try InotifyWatcher(roots: $0) },
        onReady: @escaping @Sendable () -> Void = {}
    ) {
        self.context = context
        self.clock = clock
        self.eventSource = eventSource
        classifier = FileClassifier(rules: context.configuration.watches)
        self.onReady = onReady
    }

    private final class Inbox: Sendable {
        let events = Mutex<[WatchEvent]>([])
        let wake = WakeSignal()
    }

    func run() async throws {
        let rules = context.configuration.watches
        let watcher = try eventSource(
            rules.indices.map {
                WatchRoot(
                    path: rules[$0].directory, recursive: rules[$0].recursive, filter: classifier.filters[$0])
            })
        watcher.start()
        let inbox = Inbox()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await batch in watcher.events {
                    inbox.events.withLock { $0.append(contentsOf: batch) }
                    inbox.wake.signal()
                }
            }
            await cancelWhenGracefulShutdown {
                await self.loop(watcher: watcher, inbox: inbox)
            }
            watcher.stop()
            await group.waitForAll()
        }
    }

    private func loop(watcher: any WatchEventSource, inbox: Inbox) async {
        let rules = context.configuration.watches
        var schedule = WatchSchedule(
            periodicScan: context.configuration.scanning.periodicSeconds, now: context.now().timeIntervalSince1970)
        var settling = SettleSchedule()
        // Arm every root, then scan it: anything created before the watch existed is found by the scan.
        for index in rules.indices {
            if DirectoryScanner.isDirectory(rules[index].directory) {
                watcher.arm(root: index)
            } else if schedule.rootLost(index) {
                context.logger.warning(
                    "watched directory \(rules[index].directory) does not exist; waiting for it to appear",
                    metadata: ["snowpipe.pipe": "\(rules[index].pipe)"])
            }
        }
        onReady()
        let found = await scan(
            rules.indices.filter { !schedule.lost.contains($0) }.map { rules[$0].directory }, settling: &settling)
        if context.freshOutbox, found > 0 {
            context.logger.warning(
                Logger.Message(
                    stringLiteral:
                        "a new outbox: the \(found) file(s) already in the watched directories are submitted. If they "
                        + "were loaded before (an outbox deleted or purged), Snowpipe skips the paths it received in "
                        + "the last 14 days (they end SKIPPED) but loads older ones again: move those away first"))
        }
        var lastCommit = clock.now.advanced(by: .zero - Self.commitInterval)
        while Task.isCancelled == false {
            context.heartbeats.beat("watcher")
            context.settling.withLock { $0 = settling.count }
            let now = context.now()
            let deadline = schedule.nextDeadline(
                settling: settling.nextDeadline,
                heartbeat: now.timeIntervalSince1970 + context.heartbeats.interval.seconds)
            await inbox.wake.wait(timeout: .from(now, until: deadline) + .milliseconds(1), clock: clock)
            let sinceCommit = lastCommit.duration(to: clock.now)
            if sinceCommit < Self.commitInterval {
                try? await clock.sleep(for: Self.commitInterval - sinceCommit)
            }
            lastCommit = clock.now
            let events = inbox.events.withLock { events -> [WatchEvent] in
                defer { events.removeAll(keepingCapacity: true) }
                return events
            }
            var announced: [String] = []
            var closed: [String] = []
            var rescanDirectories: [String] = []
            var fullRescan = false
            for event in events {
                switch event {
                case .fileClosed(let path):
                    closed.append(path)
                case .fileMovedIn(let path):
                    announced.append(path)
                case .directoryAdded(let path):
                    rescanDirectories.append(path)
                case .overflow:
                    context.logger.warning(
                        "the inotify queue overflowed (fs.inotify.max_queued_events); rescanning every watched directory"
                    )
                    fullRescan = true
                    context.metrics.inotifyOverflow()
                case .rootLost(let path):
                    if let index = rules.firstIndex(where: { $0.directory == path }), schedule.rootLost(index) {
                        context.logger.warning(
                            "watched directory \(path) was deleted, moved or unmounted; waiting for it to come back")
                    }
                case .watchLimitReached(let path):
                    if schedule.watchLimitReached(now: context.now().timeIntervalSince1970) {
                        context.logger.error(
                            Logger.Message(
                                stringLiteral:
                                    "cannot watch \(path): the inotify watch limit is reached. Raise it (e.g. `sysctl "
                                    + "fs.inotify.max_user_watches=1048576` in /etc/sysctl.d/); meanwhile those directories "
                                    + "are scanned every \(Int(schedule.degradedScan)) s"))
                    }
                case .watchFailed(let path, let reason):
                    context.logger.error("cannot watch \(path): \(reason); it is covered by periodic scans only")
                }
            }
            await recordAnnounced(announced, settling: &settling)
            observeClosed(closed, settling: &settling)
            let due = schedule.due(now: context.now().timeIntervalSince1970)
            if due.lookForLostRoots {
                for index in schedule.lost.sorted() where DirectoryScanner.isDirectory(rules[index].directory) {
                    schedule.rootRearmed(index)
                    watcher.arm(root: index)
                    context.logger.notice("watching \(rules[index].directory) again")
                    rescanDirectories.append(rules[index].directory)
                }
            }
            if due.fullScan || fullRescan {
                rescanDirectories = rules.indices.filter { !schedule.lost.contains($0) }.map { rules[$0].directory }
            }
            if rescanDirectories.isEmpty == false {
                context.metrics.rescanned(directories: rescanDirectories.count)
                await scan(rescanDirectories, settling: &settling)
            }
            await settle(&settling)
        }
    }

    /// Files moved in are complete: stat and record them.
    /// An empty file is the exception: it is almost always a placeholder about to be written (`touch`, or a tool
    /// that creates the name first), so it waits its quiet period like a closed file.
    private func recordAnnounced(_ paths: [String], settling: inout SettleSchedule) async {
        guard paths.isEmpty == false else { return }
        var discovered: [DiscoveredFile] = []
        for path in paths {
            guard let rule = classifier.rule(for: path), let file = DirectoryScanner.inspect(path) else {
                settling.forget(path)
                continue
            }
            let complete = settling.observeMovedIn(
                path, size: file.size, mtimeNanoseconds: file.mtimeNanoseconds, isRegular: file.isRegular,
                now: context.now().timeIntervalSince1970, quiet: context.configuration.watches[rule].settleSeconds)
            if complete { discovered.append(classifier.discovered(file, rule: rule)) }
        }
        await commit(discovered)
    }

    /// Files closed after writing start (or restart) their quiet period.
    private func observeClosed(_ paths: [String], settling: inout SettleSchedule) {
        let now = context.now().timeIntervalSince1970
        for path in paths {
            guard let index = classifier.rule(for: path), let file = DirectoryScanner.inspect(path) else {
                settling.forget(path)
                continue
            }
            settling.observe(
                path, size: file.size, mtimeNanoseconds: file.mtimeNanoseconds, now: now,
                quiet: context.configuration.watches[index].settleSeconds)
        }
    }

    /// Files listed, classified and committed at a time, and rows per discovery transaction: a large backlog is
    /// never held whole (100,000 files listed and classified at once were ~20 MB of the start-up peak).
    static var chunk: Int { 20_000 }

    /// Scans directories, a chunk at a time; quiet files are recorded, recent ones wait to settle.
    /// - Returns: how many files of the rules it found (recorded now, or settling).
    @discardableResult
    private func scan(_ directories: [String], settling: inout SettleSchedule) async -> Int {
        let now = context.now()
        var found = 0
        for directory in directories {
            guard let rootIndex = context.configuration.watches.owner(of: directory) else { continue }
            let rule = context.configuration.watches[rootIndex]
            let walk = DirectoryWalk(directory, recursive: rule.recursive, filter: classifier.filters[rootIndex])
            while Task.isCancelled == false {
                // A directory walk blocks on the file system: off the cooperative pool.
                let files = await BlockingWork.run { walk.next(upTo: Self.chunk) }
                if files.isEmpty { break }
                context.heartbeats.beat("watcher")  // a scan of millions of files takes longer than the watchdog
                var discovered: [DiscoveredFile] = []
                for file in files {
                    guard let index = classifier.rule(for: file.path), settling.contains(file.path) == false else {
                        continue
                    }
                    found += 1
                    let settled = settling.observeScanned(
                        file.path, size: file.size, mtimeNanoseconds: file.mtimeNanoseconds,
                        unsubmittableName: file.invalidName, now: now.timeIntervalSince1970,
                        quiet: context.configuration.watches[index].settleSeconds)
                    if settled { discovered.append(classifier.discovered(file, rule: index)) }
                }
                await commit(discovered)
            }
        }
        return found
    }

    /// Records files whose quiet period has passed without change; changed ones wait again.
    private func settle(_ settling: inout SettleSchedule) async {
        let now = context.now().timeIntervalSince1970
        var discovered: [DiscoveredFile] = []
        for due in settling.takeDue(now: now) {
            let (path, candidate) = (due.path, due.candidate)
            guard let file = DirectoryScanner.inspect(path), let index = classifier.rule(for: path) else { continue }
            let verdict = settling.judge(
                path, was: candidate, size: file.size, mtimeNanoseconds: file.mtimeNanoseconds, now: now,
                quiet: context.configuration.watches[index].settleSeconds)
            if verdict == .settled { discovered.append(classifier.discovered(file, rule: index)) }
        }
        await commit(discovered)
    }

    /// Warns once per path about files another pipe's history holds: a rule's `pipe:` changed, and its files
    /// are not sent again by themselves.
    private func reportHeld(_ held: [String: [String]], _ files: [DiscoveredFile]) {
        guard held.isEmpty == false else { return }
        let newPipe = Dictionary(files.map { ($0.localPath, $0.pipe) }, uniquingKeysWith: { first, _ in first })
        for (oldPipe, paths) in held.sorted(by: { $0.key < $1.key }) {
            let fresh = heldReported.withLock { reported in paths.filter { reported.insert($0).inserted } }
            guard let example = fresh.first else { continue }
            let pipe = newPipe[example] ?? "?"
            context.logger(forPipe: pipe).warning(
                Logger.Message(
                    stringLiteral:
                        "\(fresh.count) file(s), e.g. \(example), not queued for pipe \(pipe): the outbox has them from "
                        + "pipe \(oldPipe) (sent, loaded or finished there), so its rule's pipe changed. A changed "
                        + "pipe does not send files again by itself (that could load them twice); to load them through "
                        + "\(pipe) as well, run `snowpiped backfill --pipe \(pipe) <directory>`"),
                metadata: ["snowpipe.previous_pipe": "\(oldPipe)", "file.count": "\(fresh.count)"])
        }
    }

    /// - Returns: how many rows were recorded (0 when cancelled).
    @discardableResult
    private func commit(_ files: [DiscoveredFile]) async -> Int {
        guard files.isEmpty == false else { return 0 }
        var recorded = 0
        for start in stride(from: 0, to: files.count, by: Self.chunk) {
            let part = Array(files[start..<min(start + Self.chunk, files.count)])
            while true {
                do {
                    let recording = try await context.outbox.recordDiscovered(part, now: context.now())
                    reportHeld(recording.heldElsewhere, part)
                    let inserted = recording.inserted
                    recorded += inserted.count
                    var pipes = Set<String>()
                    var discoveredByPipe: [String: Int] = [:]
                    for file in inserted {
                        discoveredByPipe[file.pipe, default: 0] += 1
                        if file.state.isTerminal {
                            context.announce(file)
                            context.actionWake.signal()
                        } else {
                            pipes.insert(file.pipe)
                        }
                    }
                    if inserted.isEmpty == false {
                        context.logger.debug(
                            "recorded \(inserted.count) new file(s)", metadata: ["batch.size": "\(inserted.count)"])
                    }
                    for (pipe, count) in discoveredByPipe { context.metrics.discovered(pipe: pipe, count: count) }
                    for pipe in pipes { context.signals(pipe).pending.signal() }
                    break
                } catch {
                    if Task.isCancelled { return recorded }  // a clean stop: the next start's scan finds the files
                    // Nothing is lost: the files are still on disk and the next scan finds them; keep trying.
                    context.logger.error("cannot record discovered files in the outbox: \(error); retrying")
                    try? await clock.sleep(for: .seconds(1))
                    if Task.isCancelled { return recorded }
                }
            }
        }
        return recorded
    }
}
