import ArgumentParser
import Foundation
import Glibc
import Logging
import SnowpipeDaemon
import Systemd

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

    @Option(
        name: .long,
        help: "Where logs go: journal (structured fields), stderr, or auto (journal when run by systemd).")
    var logTarget: String = "auto"

    func run() async throws {
        MemoryTuning.apply()
        let signals = SignalShutdown()
        let settings = try Snowpiped.loadConfiguration(config)
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level \(logLevel): use trace, debug, info, notice, warning, error or critical")
        }
        let useJournal: Bool
        switch logTarget {
        case "journal": useJournal = true
        case "stderr": useJournal = false
        case "auto": useJournal = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil
        default: throw ValidationError("--log-target \(logTarget): use auto, journal or stderr")
        }
        LoggingSystem.bootstrap { label in
            if useJournal { return JournalLogHandler(logLevel: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "snowpiped")
        signals.whenIgnored { number in
            if number == SIGHUP {
                logger.notice("SIGHUP received before start-up finished: ignored; send it again to reload")
                return
            }
            let name = number == SIGUSR1 ? "SIGUSR1" : "SIGUSR2"
            logger.notice(
                Logger.Message(
                    stringLiteral: "\(name) received and ignored (SIGHUP reloads the configuration: "
                        + "`systemctl reload snowpiped`)"))
        }
        let path = config
        do {
            try await Daemon.run(
                configuration: settings, version: Snowpiped.version, logger: logger, signals: signals,
                reload: { try ConfigurationLoader.load(path: path) },
                onReady: { logger.notice("ready: watching and submitting") })
        } catch let error as SetupError {
            throw CheckFailure(error.description, status: CheckFailure.configurationStatus)
        }
    }
}
