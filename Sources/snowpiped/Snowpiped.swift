import ArgumentParser
import CBuildInfo
import SnowpipeDaemon

/// The `snowpiped` command line: one subcommand per file.
@main
struct Snowpiped: AsyncParsableCommand {
    /// The version in the User-Agent and the package.
    static let version = "0.1.0"

    /// What `--version` prints: the version and the build (the commit it was built from).
    static var versionAndBuild: String { "\(version) (\(String(cString: snowpiped_build())))" }

    static let configuration = CommandConfiguration(
        commandName: "snowpiped",
        abstract: "Turns a directory into a reliable entry point to Snowflake (Snowpipe REST API).",
        version: versionAndBuild,
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
