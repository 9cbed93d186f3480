import ArgumentParser
import Foundation
import Logging
import SnowpipeDaemon

/// `snowpiped run`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: watch the directories, submit files, follow their loads (until SIGTERM)."
    )

    @Option(name: .shortAndLong, help: "Configuration file.")
    var config: String = "/etc/snowpiped/snowpiped.yaml"

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        let signals = SignalShutdown()
        let settings = try Snowpiped.loadConfiguration(config)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            return handler
        }
        let logger = Logger(label: "snowpiped")
        do {
            try await Daemon.run(configuration: settings, version: Snowpiped.version, logger: logger, signals: signals)
            {
                logger.notice("ready: watching and submitting")
            }
        } catch let error as SetupError {
            throw CheckFailure(error.description)
        }
    }
}
