import ArgumentParser
import SnowpipeDaemon

/// The `snowpiped` command line: one subcommand per file.
@main
struct Snowpiped: AsyncParsableCommand {
    /// The version reported by `--version` and in the User-Agent.
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "snowpiped",
        abstract: "Turns a directory into a reliable entry point to Snowflake (Snowpipe REST API).",
        version: version,
        subcommands: [
            RunCommand.self, ReloadCommand.self, StatusCommand.self, RetryCommand.self, BackfillCommand.self,
            CheckCommand.self,
            KeygenCommand.self,
        ]
    )

    /// Loads and validates the configuration, or fails with every problem listed (exit status 78, EX_CONFIG:
    /// the unit's `RestartPreventExitStatus=78` keeps systemd from restarting into the same error).
    static func loadConfiguration(_ path: String) throws -> DaemonConfiguration {
        do {
            return try ConfigurationLoader.load(path: path)
        } catch {
            throw CheckFailure("configuration: \(error)", status: CheckFailure.configurationStatus)
        }
    }
}
