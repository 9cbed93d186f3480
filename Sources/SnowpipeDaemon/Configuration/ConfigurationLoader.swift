import Foundation
import IngestCore
import Yams

/// Reads and validates the YAML configuration, reporting every problem at once with its key path and line.
public enum ConfigurationLoader {
    /// Loads `path`.
    /// - Throws: `ConfigurationError` listing every problem (unreadable file, YAML syntax, unknown keys, wrong
    ///   types, values out of range, inconsistent settings).
    public static func load(path: String) throws(ConfigurationError) -> DaemonConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(
                file: path,
                problems: [
                    ConfigProblem(path: "", line: nil, message: "cannot read the file (missing or no permission)")
                ])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(
                file: path, problems: [ConfigProblem(path: "", line: nil, message: "the file is not UTF-8 text")])
        }
        return try parse(text, file: path)
    }

    /// Parses configuration text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> DaemonConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigurationError(file: file, problems: [syntaxProblem(error)])
        } catch {
            throw ConfigurationError(file: file, problems: [ConfigProblem(path: "", line: nil, message: "\(error)")])
        }
        let reader = YAMLReader()
        let top = reader.mapping(
            root, path: "",
            allowed: [
                "snowflake", "state_directory", "watch", "batching", "reporter", "scan", "retention", "metrics",
            ])
        if root == nil { reader.problem("", nil, "the file is empty: `snowflake` and `watch` are required") }
        let snowflake = readSnowflake(top["snowflake"], reader)
        let stateDirectory =
            reader.string(top["state_directory"], path: "state_directory") ?? DaemonConfiguration.defaultStateDirectory
        if stateDirectory.hasPrefix("/") == false {
            reader.problem("state_directory", top["state_directory"], "must be an absolute path")
        }
        let watches = readWatches(top["watch"], reader)
        let state = withoutTrailingSlash(stateDirectory)
        for (index, rule) in watches.enumerated() where rule.directory.isEmpty == false {
            if rule.covers(state) {
                reader.problem(
                    "state_directory", top["state_directory"],
                    "\(state) is inside watch[\(index)].directory \(rule.directory): the daemon would submit its own "
                        + "outbox files; put the state directory outside every watched directory (default "
                        + "\(DaemonConfiguration.defaultStateDirectory))")
            }
        }
        let batchingNode = reader.mapping(top["batching"], path: "batching", allowed: ["max_files", "linger_ms"])
        let batching = BatchingSettings(
            maxFiles: reader.integer(
                batchingNode["max_files"], path: "batching.max_files", default: BatchingSettings.defaultMaxFiles,
                range: 1...SnowpipeLimits.maximumFilesPerCall),
            lingerMilliseconds: reader.integer(
                batchingNode["linger_ms"], path: "batching.linger_ms",
                default: BatchingSettings.defaultLingerMilliseconds, range: 0...600_000))
        let reporterNode = reader.mapping(
            top["reporter"], path: "reporter",
            allowed: [
                "poll_seconds", "deadline_minutes", "stream_poll_seconds", "stream_stall_minutes", "warn_after_minutes",
            ])
        var reporter = ReporterSettings(
            pollSeconds: reader.number(
                reporterNode["poll_seconds"], path: "reporter.poll_seconds",
                default: ReporterSettings.defaultPollSeconds,
                range: 0.1...480),
            deadlineMinutes: reader.number(
                reporterNode["deadline_minutes"], path: "reporter.deadline_minutes",
                default: ReporterSettings.defaultDeadlineMinutes, range: 0.01...(14 * 24 * 60)))
        reporter.streamPollSeconds = reader.number(
            reporterNode["stream_poll_seconds"], path: "reporter.stream_poll_seconds",
            default: ReporterSettings.defaultStreamPollSeconds, range: 0.05...60)
        reporter.streamStallMinutes = reader.number(
            reporterNode["stream_stall_minutes"], path: "reporter.stream_stall_minutes",
            default: ReporterSettings.defaultStreamStallMinutes, range: 0.01...(24 * 60))
        reporter.warnAfterMinutes = reader.number(
            reporterNode["warn_after_minutes"], path: "reporter.warn_after_minutes",
            default: ReporterSettings.defaultWarnAfterMinutes, range: 0.01...(14 * 24 * 60))
        let scanNode = reader.mapping(top["scan"], path: "scan", allowed: ["periodic_seconds"])
        let scanning = ScanSettings(
            periodicSeconds: reader.number(
                scanNode["periodic_seconds"], path: "scan.periodic_seconds",
                default: ScanSettings.defaultPeriodicSeconds,
                range: 0...86_400))
        let retentionNode = reader.mapping(top["retention"], path: "retention", allowed: ["finished_days"])
        let retention = RetentionSettings(
            finishedDays: reader.number(
                retentionNode["finished_days"], path: "retention.finished_days",
                default: RetentionSettings.defaultFinishedDays, range: 0.01...3650))
        let metrics = readMetrics(top["metrics"], reader)
        if let snowflake, reader.problems.isEmpty {
            var configuration = DaemonConfiguration(
                snowflake: snowflake, stateDirectory: stateDirectory, watches: watches, batching: batching,
                reporter: reporter, scanning: scanning, retention: retention)
            configuration.metrics = metrics
            return configuration
        }
        throw ConfigurationError(file: file, problems: reader.problems)
    }

    /// `metrics: { listen: HOST:PORT }`: the Prometheus endpoint, off without the section.
    static func readMetrics(_ node: Node?, _ reader: YAMLReader) -> MetricsSettings? {
        guard node != nil else { return nil }
        let keys = reader.mapping(node, path: "metrics", allowed: ["listen"])
        guard let listen = reader.string(keys["listen"], path: "metrics.listen") else {
            reader.problem(
                "metrics.listen", node, "required when `metrics` is present, e.g. `listen: 127.0.0.1:9465`")
            return nil
        }
        guard let settings = MetricsSettings(listen: listen) else {
            reader.problem(
                "metrics.listen", keys["listen"],
                "\(listen) is not HOST:PORT (e.g. 127.0.0.1:9465, or [::1]:9465; port 0-65535)")
            return nil
        }
        return settings
    }

    private static func syntaxProblem(_ error: YamlError) -> ConfigProblem {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return ConfigProblem(path: "", line: mark.line, message: "YAML syntax: \(problem) (column \(mark.column))")
        default:
            return ConfigProblem(path: "", line: nil, message: "YAML: \(error)")
        }
    }
}
