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
            14 days, even when that load failed: such files will end SKIPPED unless renamed. retry warns about them.
            """
    )

    @Option(name: .shortAndLong, help: "Configuration file.")
    var config: String = "/etc/snowpiped/snowpiped.yaml"

    @Option(name: .long, help: "Only this pipe.")
    var pipe: String?

    @Option(name: .long, parsing: .upToNextOption, help: "States to re-queue (default: LOAD_FAILED NOT_REPORTED).")
    var state: [String] = ["LOAD_FAILED", "NOT_REPORTED"]

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
        let fourteenDays: TimeInterval = 14 * 86_400
        for file in candidates {
            if let submitted = file.submittedAt, Date().timeIntervalSince(submitted) < fourteenDays {
                print(
                    "warning: \(file.stagePath) was sent to \(file.pipe) on \(StatusCommand.iso(submitted)); Snowpipe "
                        + "will skip the same path until 14 days after that. Rename the file to load it now.")
            }
        }
        let count = try await outbox.requeue(ids: candidates.map(\.id))
        print("re-queued \(count) file(s); the running daemon submits them within a minute")
    }
}
