import Foundation
import IngestCore
import Outbox
import SnowpipeEmulator
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("The opt-in Prometheus endpoint shows the daemon's work and passes promtool", .serialized)
struct MetricsEndpointTests {
    /// `GET url`: the status and the body.
    static func get(_ url: String) async throws -> (Int, String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// The value of the sample line that starts with `series` (name and labels as rendered), nil when absent.
    static func value(_ scrape: String, _ series: String) -> Double? {
        scrape.split(separator: "\n").first { $0.hasPrefix(series + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func aScrapeDuringARunShowsTheCountersMovingAndPassesPromtool() async throws {
        try await DaemonHarness.withDaemon(extra: "metrics:\n  listen: 127.0.0.1:0") { harness in
            let marker = "serving Prometheus metrics on http://127.0.0.1:"
            try await harness.waitForLog(marker)
            let tail = try #require(harness.log.components(separatedBy: marker).last)
            let port = try #require(Int(tail.prefix { $0.isNumber }))
            let url = "http://127.0.0.1:\(port)/metrics"
            let (firstStatus, first) = try await Self.get(url)
            #expect(firstStatus == 200)
            let pipe = "pipe=\"DB.S.CSV_PIPE\""
            #expect(Self.value(first, "snowpiped_files_finished_total{\(pipe),status=\"LOADED\"}") == nil)
            for index in 0..<3 { harness.dropCSV("m\(index).csv", firstID: index, rows: 2, renameIn: true) }
            try await DaemonHarness.waitUntil("the files are LOADED") { try await states(harness)["LOADED"] == 3 }
            // The outbox gauges are read at most every 10 s; the counters move at once.
            try await DaemonHarness.waitUntil("the outbox gauges are read again") {
                Self.value(try await Self.get(url).1, "snowpiped_files{\(pipe),state=\"LOADED\"}") == 3
            }
            let (_, scrape) = try await Self.get(url)
            #expect(Self.value(scrape, "snowpiped_files_discovered_total{\(pipe)}") == 3)
            #expect(Self.value(scrape, "snowpiped_files_submitted_total{\(pipe)}") == 3)
            #expect(Self.value(scrape, "snowpiped_files_finished_total{\(pipe),status=\"LOADED\"}") == 3)
            #expect(Self.value(scrape, "snowpiped_files{\(pipe),state=\"LOADED\"}") == 3)
            #expect(Self.value(scrape, "snowpiped_files{\(pipe),state=\"pending\"}") == 0)
            #expect(
                Self.value(scrape, "snowpiped_snowflake_requests_total{\(pipe),operation=\"insertFiles\",code=\"2xx\"}")
                    ?? 0 >= 1)
            #expect(Self.value(scrape, "snowpiped_final_latency_seconds_count{\(pipe)}") == 3)
            #expect(Self.value(scrape, "snowpiped_oldest_pending_age_seconds{\(pipe)}") == 0)
            #expect((Self.value(scrape, "snowpiped_outbox_bytes") ?? 0) > 0)
            #expect(scrape.contains("# HELP snowpiped_files_finished_total "))
            #expect(scrape.contains("# TYPE snowpiped_files_finished_total counter"))
            // Prometheus's own linter.
            let promtool = try #require(
                ["/usr/bin/promtool", "/usr/local/bin/promtool"].first {
                    FileManager.default.isExecutableFile(atPath: $0)
                },
                "promtool is missing: `make deps` installs Debian's prometheus package")
            let check = try await ChildProcess.run(promtool, ["check", "metrics"], input: scrape)
            #expect(check.status == 0, "promtool: \(check.output)\n\(scrape)")
            let (missing, _) = try await Self.get("http://127.0.0.1:\(port)/other")
            #expect(missing == 404)
            // `status` carries the same health: the last successful call (stored every few seconds), latency.
            let status = {
                try await ChildProcess.run(
                    ChildProcess.product("snowpiped"), ["status", "--config", harness.configPath])
            }
            try await DaemonHarness.waitUntil("status shows the last successful call") {
                try await status().stdout.contains("last successful call to Snowflake:")
            }
            let text = try await status().stdout
            #expect(text.contains("discovery → final status, last hour: p50 "), "\(text)")
            #expect(text.contains("(3 file(s))"), "\(text)")
            let json = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["status", "--config", harness.configPath, "--json"])
            #expect(json.stdout.contains("\"lastSuccessfulCall\""), "\(json.stdout)")
            #expect(json.stdout.contains("\"p99Seconds\""), "\(json.stdout)")
            #expect(await harness.stop() == 0)
        }
    }
}

@Suite("The Prometheus files shipped in packaging/ are valid")
struct PrometheusPackagingTests {
    @Test func theAlertRulesAndTheScrapeConfigurationPassPromtool() async throws {
        let promtool = try #require(
            ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "promtool is missing: `make deps` installs Debian's prometheus package")
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../packaging/prometheus"
        ).standardizedFileURL.path
        let rules = try await ChildProcess.run(promtool, ["check", "rules", directory + "/snowpiped-alerts.yml"])
        #expect(rules.status == 0, "\(rules.output)")
        #expect(rules.output.contains("SUCCESS: 3 rules found"), "\(rules.output)")
        let config = try await ChildProcess.run(promtool, ["check", "config", directory + "/prometheus.yml"])
        #expect(config.status == 0, "\(config.output)")
    }
}

@Suite("The Grafana dashboard's queries are valid PromQL over the daemon's metric names")
struct DashboardTests {
    @Test func everyPanelQueryPassesPromtoolAsARecordingRule() async throws {
        let promtool = try #require(
            ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "promtool is missing: `make deps` installs Debian's prometheus package")
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../packaging/grafana/snowpiped-dashboard.json"
        ).standardizedFileURL.path
        let data = try #require(FileManager.default.contents(atPath: path))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions = panels.flatMap {
            ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }
        }
        #expect(expressions.count >= 6)
        // Each query as a recording rule, the dashboard's variables as match-all.
        var rules = "groups:\n  - name: dashboard\n    rules:\n"
        for (index, expression) in expressions.enumerated() {
            let concrete = expression.replacingOccurrences(of: "$instance", with: ".*").replacingOccurrences(
                of: "$pipe", with: ".*")
            #expect(concrete.contains("snowpiped_"), "\(expression)")
            rules +=
                "      - record: dashboard:query\(index)\n        expr: '\(concrete.replacingOccurrences(of: "'", with: "''"))'\n"
        }
        let directory = TemporaryDirectory("dashboard")
        try rules.write(toFile: directory.path + "/rules.yml", atomically: true, encoding: .utf8)
        let check = try await ChildProcess.run(promtool, ["check", "rules", directory.path + "/rules.yml"])
        #expect(check.status == 0, "\(check.output)\n\(rules)")
    }
}
