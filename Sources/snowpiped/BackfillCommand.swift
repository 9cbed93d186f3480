import ArgumentParser
import Foundation
import IngestCore
import Outbox
import SnowpipeAPI
import SnowpipeDaemon

/// `snowpiped backfill`: registers files already in a directory with a pipe.
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Register files already in a watched directory with a pipe (after a migration, or a changed pipe).",
        discussion: """
            The daemon never sends a file twice by itself: files it finished under another pipe stay with that \
            pipe when a rule's pipe changes. backfill registers them (and any file the outbox does not know for \
            the pipe) as the directory's watch rule would, leaving alone the files the outbox already has for the \
            pipe and those in the pipe's load history (the 14 days Snowpipe remembers). The running daemon submits \
            them within a minute (or at its next start). Use --dry-run first.
            """
    )

    @Option(name: .shortAndLong, help: "Configuration file.")
    var config: String = "/etc/snowpiped/snowpiped.yaml"

    @Option(name: .long, help: "The pipe to load the files through (a watch rule of it must cover the directory).")
    var pipe: String

    @Option(
        name: .long,
        help: "Only files modified at or after this instant (ISO 8601: 2026-11-30 or 2026-11-30T08:00:00Z).")
    var since: String?

    @Flag(name: .long, help: "Show what would be registered; change nothing.")
    var dryRun = false

    @Argument(help: "The directory (default: the directory of the pipe's first watch rule).")
    var directory: String?

    func run() async throws {
        let settings = try Snowpiped.loadConfiguration(config)
        let pipe = SnowflakeIdentifier.canonical(self.pipe)
        let sinceDate = try since.map(Self.parseInstant)
        guard let directory = directory ?? settings.watches.first(where: { $0.pipe == pipe })?.directory else {
            throw CheckFailure(
                "--pipe \(pipe): no watch rule names this pipe (the rules name \(settings.pipes.joined(separator: ", "))); "
                    + "add the rule to the configuration first")
        }
        do {
            _ = try Backfill.rule(configuration: settings, directory: directory, pipe: pipe)
        } catch let problem as Backfill.Problem {
            throw CheckFailure(problem.description)
        }
        guard FileManager.default.fileExists(atPath: settings.databasePath) else {
            throw CheckFailure(
                "there is no outbox at \(settings.databasePath) yet: the daemon's first start registers every file in "
                    + "the watched directories, so no backfill is needed; start it (`systemctl start snowpiped`)")
        }
        let outbox = try Outbox(path: settings.databasePath)
        let connection: SnowflakeConnection? = try SnowflakeConnection(settings: settings.snowflake)
        let client = connection?.client(
            retrying: .init(policy: RetryPolicy(base: .milliseconds(500), cap: .seconds(10)), maximumAttempts: 5),
            version: Snowpiped.version)
        let report: Backfill.Report
        do {
            report = try await Backfill.run(
                configuration: settings, directory: directory, pipe: pipe, since: sinceDate, dryRun: dryRun,
                outbox: outbox, client: client, now: Date())
        } catch let problem as Backfill.Problem {
            await connection?.shutdown()
            throw CheckFailure(problem.description)
        } catch {
            await connection?.shutdown()
            throw CheckFailure("backfill of \(directory) into \(pipe) failed, nothing was registered: \(error)")
        }
        await connection?.shutdown()
        for (path, reason) in report.unsubmittable { print("cannot be submitted: \(path): \(reason)") }
        for path in report.registered { print("\(dryRun ? "would register" : "registered"): \(path)") }
        var left = BackfillRule.Verdict.allCases.compactMap { verdict in
            report.left[verdict].map { "\($0) \(verdict.rawValue)" }
        }
        if report.unsubmittable.isEmpty == false { left.append("\(report.unsubmittable.count) unsubmittable") }
        let history = report.historyRead ? "" : " (load history not read)"
        print(
            "\(dryRun ? "would register" : "registered") \(report.registered.count) file(s) of \(directory) for "
                + "\(pipe); left alone: \(left.isEmpty ? "none" : left.joined(separator: ", "))\(history)")
        if dryRun == false, report.registered.isEmpty == false {
            print("the running daemon submits them within a minute (or at its next start)")
        }
    }

    /// A date (`2026-11-30`, midnight UTC) or an ISO 8601 instant.
    static func parseInstant(_ text: String) throws -> Date {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: false)) {
            return date
        }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        if let date = try? Date(text + "T00:00:00Z", strategy: Date.ISO8601FormatStyle()) { return date }
        throw ValidationError(
            "--since \(text): give an ISO 8601 date or instant, e.g. 2026-11-30 or 2026-11-30T08:00:00Z")
    }
}
