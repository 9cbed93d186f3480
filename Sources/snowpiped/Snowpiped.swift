import ArgumentParser

/// The `snowpiped` command line: one subcommand per file.
@main
struct Snowpiped: AsyncParsableCommand {
    /// The version reported by `--version` and in the User-Agent.
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "snowpiped",
        abstract: "Turns a directory into a reliable entry point to Snowflake (Snowpipe REST API).",
        version: version,
        subcommands: [RunCommand.self, StatusCommand.self, RetryCommand.self, CheckCommand.self, KeygenCommand.self]
    )
}
