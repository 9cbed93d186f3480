import FileWatching
import Foundation
import IngestCore
import Outbox
import SnowpipeAPI

/// `snowpiped backfill`: registers files already in a directory with a pipe, as its watch rule would, skipping
/// what `BackfillRule` leaves alone. The running daemon (or the next start) submits what was registered.
public enum Backfill {
    /// What a backfill found and did.
    public struct Report: Sendable {
        /// Stage paths registered (or, in a dry run, that would be), in path order.
        public var registered: [String] = []
        /// Files left alone, by reason.
        public var left: [BackfillRule.Verdict: Int] = [:]
        /// Files that can never be submitted, with the reason (as the daemon would record them).
        public var unsubmittable: [(path: String, reason: String)] = []
        /// Whether Snowflake's load history was read (not for a stream rule, whose pipe has none).
        public var historyRead = false
    }

    /// A backfill that cannot run, with what to do.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Plans (and unless `dryRun`, performs) a backfill of `directory` into `pipe`.
    /// - Parameter history: reads the pipe's load history pages from an ISO-8601 start (nil for a stream rule).
    public static func run(
        configuration: DaemonConfiguration, directory: String, pipe: String, since: Date?, dryRun: Bool,
        outbox: Outbox, client: SnowpipeClient?, now: Date
    ) async throws -> Report {
        let rules = configuration.watches
        let directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        let ruleIndex = try rule(configuration: configuration, directory: directory, pipe: pipe)
        let rule = rules[ruleIndex]
        let classifier = FileClassifier(rules: rules)
        var candidates: [(file: DiscoveredFile, modified: Double)] = []
        var report = Report()
        for file in DirectoryScanner.scan(directory, recursive: rule.recursive, filter: classifier.filters[ruleIndex]) {
            // A deeper root of another rule owns its own files.
            guard let index = classifier.rule(for: file.path), rules[index].pipe == pipe else { continue }
            let discovered = classifier.discovered(file, rule: index)
            if let reason = discovered.rejection {
                report.unsubmittable.append((file.path, reason))
                continue
            }
            candidates.append((discovered, Double(file.mtimeNanoseconds) / 1e9))
        }
        candidates.sort { $0.file.stagePath < $1.file.stagePath }
        let known = try await outbox.knownStagePaths(pipe: pipe, among: candidates.map(\.file.stagePath))
        var history = Set<String>()
        if rule.stream == nil, let client {
            history = try await loadHistory(pipe: pipe, client: client, now: now)
            report.historyRead = true
        }
        var chosen: [DiscoveredFile] = []
        for (file, modified) in candidates {
            let verdict = BackfillRule.verdict(
                stagePath: file.stagePath, modifiedAt: modified, since: since?.timeIntervalSince1970, known: known,
                history: history)
            if verdict == .register {
                chosen.append(file)
            } else {
                report.left[verdict, default: 0] += 1
            }
        }
        if dryRun {
            report.registered = chosen.map(\.stagePath)
        } else {
            let recording = try await outbox.recordDiscovered(chosen, now: now, holdOtherPipes: false)
            report.registered = recording.inserted.map(\.stagePath).sorted()
        }
        return report
    }

    /// The index of the watch rule of `pipe` that covers `directory`, or why there is none.
    public static func rule(configuration: DaemonConfiguration, directory: String, pipe: String) throws -> Int {
        let directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        guard let index = configuration.watches.owner(of: directory, pipe: pipe) else {
            let pipes = configuration.pipes.joined(separator: ", ")
            throw Problem(
                description: "\(directory) is not under a watch rule of pipe \(pipe) (the rules name \(pipes)): a "
                    + "backfill registers files as that rule would (its stage path, filters and mode); give a "
                    + "directory under such a rule, or add the rule first")
        }
        guard DirectoryScanner.isDirectory(directory) else {
            throw Problem(description: "\(directory) is not a directory (or cannot be read)")
        }
        return index
    }

    /// The stage paths of the pipe's load history over the 14 days Snowpipe remembers, paged on `rangeEndTime`.
    static func loadHistory(pipe: String, client: SnowpipeClient, now: Date) async throws -> Set<String> {
        // The reporter's paging rules (`HistoryScan`): on `rangeEndTime` while incomplete, until a page stands still.
        var scan = HistoryScan(
            from: now.timeIntervalSince1970 - SnowpipeLimits.loadMetadataSeconds, resumingAt: nil,
            advancesCursor: false, 10_000)
        var paths = Set<String>()
        var more = true
        while more {
            let page = try await client.loadHistoryScan(pipe: pipe, start: scan.start, end: nil)
            paths.formUnion(page.files.map(\.path))
            more = scan.pageRead(rangeEndTime: page.rangeEndTime, completeResult: page.completeResult)
        }
        return paths
    }
}
