import ArgumentParser
import Foundation
import IngestCore
import Outbox
import SnowpipeDaemon

/// `snowpiped retry`: puts failed or unreported files back in the queue.
struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Re-queue LOAD_FAILED, NOT_REPORTED (and with --state, other finished) files for submission.",
        discussion: """
            The running daemon picks them up within a minute. Snowpipe skips a path its pipe received in the last \
            14 days, even when that load failed: such files end SKIPPED again. retry warns about them. LOADED \
            files are never re-queued (that would load their rows twice); PARTIALLY_LOADED ones only with --force, \
            since the rows already loaded would be loaded again.
            """
    )

    @Option(name: .shortAndLong, help: "Configuration file.")
    var config: String = "/etc/snowpiped/snowpiped.yaml"

    @Option(name: .long, help: "Only this pipe.")
    var pipe: String?

    @Option(name: .long, parsing: .upToNextOption, help: "States to re-queue (default: LOAD_FAILED NOT_REPORTED).")
    var state: [String] = ["LOAD_FAILED", "NOT_REPORTED"]

    @Flag(name: .long, help: "Allow re-queueing PARTIALLY_LOADED files (their loaded rows would load twice).")
    var force = false

    @Argument(help: "Only these files (local or stage paths).")
    var paths: [String] = []

    func run() async throws {
        let settings = try Snowpiped.loadConfiguration(config)
        var states: [FileState] = []
        for name in state {
            guard let value = FileState(rawValue: name.uppercased()), value.isTerminal else {
                throw ValidationError(
                    "--state \(name): give finished states such as LOAD_FAILED, NOT_REPORTED, SKIPPED")
            }
            if value == .loaded {
                throw ValidationError(
                    "--state LOADED: a LOADED file's rows are in the table; sending it again would load them twice, "
                        + "so snowpiped never re-queues it")
            }
            if value == .partiallyLoaded, force == false {
                throw ValidationError(
                    "--state PARTIALLY_LOADED: some rows of these files are already in the table and would be loaded "
                        + "twice; load the rejected rows from a new file instead, or add --force if you removed them")
            }
            states.append(value)
        }
        let outbox = try Outbox(path: settings.databasePath)
        var candidates = try await outbox.files(inStates: states, pipe: pipe)
        if paths.isEmpty == false {
            let wanted = Set(
                paths.flatMap { [$0, $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0] })
            candidates = candidates.filter { wanted.contains($0.localPath) || wanted.contains($0.stagePath) }
        }
        guard candidates.isEmpty == false else {
            print("nothing to retry")
            return
        }
        for file in candidates {
            if let warning = Self.warning(for: file, now: Date()) { print("warning: \(warning)") }
        }
        let count = try await outbox.requeue(ids: candidates.map(\.id))
        print("re-queued \(count) file(s); the running daemon submits them within a minute")
    }

    /// What to tell the operator before re-queueing `file`; never advises an action that would load rows twice.
    static func warning(for file: FileRecord, now: Date) -> String? {
        var lines: [String] = []
        if file.state == .partiallyLoaded {
            lines.append(
                "\(file.stagePath) was PARTIALLY_LOADED (\(file.rowsInserted ?? 0) rows are in the table): if it "
                    + "loads again, those rows are loaded twice")
        }
        if let submitted = file.submittedAt, now.timeIntervalSince(submitted) < SnowpipeLimits.loadMetadataSeconds {
            let advice: String
            switch file.state {
            case .loadFailed:
                advice = "nothing of it was loaded, so renaming the file loads it now"
            case .notReported:
                advice = "check COPY_HISTORY first: rename the file to load it now only if it did not load"
            default:
                advice = "rename it only if none of its rows are in the table"
            }
            lines.append(
                "\(file.stagePath) was sent to \(file.pipe) on \(StatusCommand.iso(submitted)); Snowpipe will skip "
                    + "the same path until 14 days after that (it will end SKIPPED); \(advice)")
        }
        return lines.isEmpty ? nil : lines.joined(separator: "; ")
    }
}
