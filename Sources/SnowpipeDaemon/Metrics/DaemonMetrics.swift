import Foundation
import IngestCore
import Outbox
import Prometheus

/// The daemon's Prometheus instruments (`snowpiped_` names, base units, `_total` counters), one registry per
/// daemon. Services count events as they happen; the gauges that describe the outbox (files by state, oldest
/// waiting file, its size) are read from it at each scrape (`refresh`), so they are never stale and cost nothing
/// between scrapes. Instruments exist whether or not the endpoint is on: an increment is an atomic add.
///
/// Every name and its help text is declared here once (the registry refuses two help texts for one name).
public final class DaemonMetrics: Sendable {
    /// The registry the endpoint renders.
    public let registry = PrometheusCollectorRegistry()

    public init() {}

    /// Seconds buckets for latencies from discovery to submission or to the final status: 0.1 s to 4 h.
    static let latencyBuckets: [Double] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 14_400]

    // MARK: Files

    /// Files recorded in the outbox (pending, or finished at once when they can never be sent).
    func discovered(pipe: String, count: Int) {
        guard count > 0 else { return }
        registry.makeCounter(
            name: "snowpiped_files_discovered_total", labels: [("pipe", pipe)],
            help: "Files recorded in the outbox (each file version once)."
        ).increment(by: Int64(count))
    }

    /// Files insertFiles accepted, with their wait since discovery.
    func submitted(pipe: String, files: [FileRecord], at now: Date) {
        guard files.isEmpty == false else { return }
        registry.makeCounter(
            name: "snowpiped_files_submitted_total", labels: [("pipe", pipe)],
            help: "Files accepted by insertFiles (or whose rows were appended, in stream mode)."
        ).increment(by: Int64(files.count))
        let histogram = registry.makeValueHistogram(
            name: "snowpiped_submit_latency_seconds", labels: [("pipe", pipe)], buckets: Self.latencyBuckets,
            help: "Seconds from a file's discovery to its acceptance by Snowflake.")
        for file in files { histogram.record(max(0, now.timeIntervalSince(file.discoveredAt))) }
    }

    /// A file reached its final status.
    func finished(_ file: FileRecord) {
        registry.makeCounter(
            name: "snowpiped_files_finished_total", labels: [("pipe", file.pipe), ("status", file.state.rawValue)],
            help: "Files that reached a final status, by status."
        ).increment()
        registry.makeValueHistogram(
            name: "snowpiped_final_latency_seconds", labels: [("pipe", file.pipe)], buckets: Self.latencyBuckets,
            help: "Seconds from a file's discovery to its final status."
        ).record(max(0, (file.finishedAt ?? Date()).timeIntervalSince(file.discoveredAt)))
    }

    // MARK: Snowflake calls

    /// One answer (or none) to a call to Snowflake: `code` is `2xx`, `4xx`, `5xx` or `none`.
    func request(pipe: String, operation: String, status: Int?) {
        let code = status.map { "\($0 / 100)xx" } ?? "none"
        registry.makeCounter(
            name: "snowpiped_snowflake_requests_total",
            labels: [("pipe", pipe), ("operation", operation), ("code", code)],
            help: "Calls to Snowflake by operation and HTTP status class (none: no answer)."
        ).increment()
    }

    /// The pipe backs off `seconds` before its next call.
    func backedOff(pipe: String, seconds: Double) {
        registry.makeCounter(
            name: "snowpiped_retries_total", labels: [("pipe", pipe)],
            help: "Failed calls to Snowflake that will be retried after a backoff."
        ).increment()
        registry.makeCounter(
            name: "snowpiped_backoff_seconds_total", labels: [("pipe", pipe)],
            help: "Seconds of backoff decided after failed calls."
        ).increment(by: max(0, seconds))
    }

    /// A report gap was read with loadHistoryScan.
    func reportGap(pipe: String) {
        registry.makeCounter(
            name: "snowpiped_report_gaps_total", labels: [("pipe", pipe)],
            help: "Windows the load reports may have missed, read with loadHistoryScan."
        ).increment()
    }

    // MARK: Watching

    /// The inotify queue overflowed (every directory is rescanned).
    func inotifyOverflow() {
        registry.makeCounter(
            name: "snowpiped_inotify_overflows_total", help: "Times the inotify event queue overflowed."
        ).increment()
    }

    /// Directories scanned after start-up (new directories, overflows, periodic scans).
    func rescanned(directories: Int) {
        registry.makeCounter(
            name: "snowpiped_rescans_total", help: "Directory scans after the start-up scan."
        ).increment(by: Int64(directories))
    }

    // MARK: Uploads

    /// A file was uploaded to the stage and verified.
    func uploaded(pipe: String, bytes: Int64) {
        registry.makeCounter(
            name: "snowpiped_uploaded_files_total", labels: [("pipe", pipe)],
            help: "Files uploaded to the stage and verified."
        ).increment()
        registry.makeCounter(
            name: "snowpiped_uploaded_bytes_total", labels: [("pipe", pipe)],
            help: "Bytes of files uploaded to the stage (before encryption)."
        ).increment(by: bytes)
    }

    /// An upload failed and will be retried.
    func uploadFailed(pipe: String) {
        registry.makeCounter(
            name: "snowpiped_upload_failures_total", labels: [("pipe", pipe)],
            help: "Upload rounds that failed and back off."
        ).increment()
    }

    // MARK: Streaming

    /// Rows appended to a channel, in one append call of `bytes` bytes.
    func appended(pipe: String, rows: Int, bytes: Int) {
        registry.makeCounter(
            name: "snowpiped_stream_append_calls_total", labels: [("pipe", pipe)],
            help: "appendRows calls accepted."
        ).increment()
        registry.makeCounter(
            name: "snowpiped_stream_rows_appended_total", labels: [("pipe", pipe)],
            help: "Rows appended to streaming channels."
        ).increment(by: Int64(rows))
        registry.makeCounter(
            name: "snowpiped_stream_append_bytes_total", labels: [("pipe", pipe)],
            help: "Uncompressed bytes of rows appended."
        ).increment(by: Int64(bytes))
    }

    /// Rows Snowflake committed (and rejected) for finished stream files.
    func committed(pipe: String, rows: Int64, rejected: Int64) {
        registry.makeCounter(
            name: "snowpiped_stream_rows_committed_total", labels: [("pipe", pipe)],
            help: "Rows of finished stream files committed to the table."
        ).increment(by: max(0, rows))
        registry.makeCounter(
            name: "snowpiped_stream_rows_rejected_total", labels: [("pipe", pipe)],
            help: "Rows of finished stream files that Snowflake or snowpiped rejected."
        ).increment(by: max(0, rejected))
    }

    /// The channel is reopened (`reason`: `refused` after a failed call, `status` after a status read).
    func channelReopened(pipe: String, reason: String) {
        registry.makeCounter(
            name: "snowpiped_stream_channel_reopens_total", labels: [("pipe", pipe), ("reason", reason)],
            help: "Streaming channel reopens by reason."
        ).increment()
    }

    /// Files whose rows were appended to the channel and whose commit is not confirmed yet (the lag between the
    /// last appended and the last committed offset, in files).
    func uncommittedFiles(pipe: String, _ files: Int) {
        registry.makeGauge(
            name: "snowpiped_stream_uncommitted_files", labels: [("pipe", pipe)],
            help: "Stream files appended whose commit Snowflake has not confirmed yet."
        ).set(Double(max(0, files)))
    }

    // MARK: The outbox, read at each scrape

    /// Sets the outbox gauges from `snapshot` (per pipe) at `now`.
    func refresh(_ snapshot: [PipeSummary], ages: [PipeAges], outboxBytes: Int64, settling: Int, now: Date) {
        for summary in snapshot {
            for state in FileState.allCases {
                registry.makeGauge(
                    name: "snowpiped_files", labels: [("pipe", summary.pipe), ("state", state.rawValue)],
                    help: "Files in the outbox by pipe and state."
                ).set(Double(summary.counts[state.rawValue] ?? 0))
            }
        }
        let byPipe = Dictionary(ages.map { ($0.pipe, $0) }, uniquingKeysWith: { first, _ in first })
        for summary in snapshot {
            let age = byPipe[summary.pipe]
            registry.makeGauge(
                name: "snowpiped_oldest_pending_age_seconds", labels: [("pipe", summary.pipe)],
                help: "Age of the oldest file not yet accepted by Snowflake (0: none)."
            ).set(age?.oldestPending.map { max(0, now.timeIntervalSince($0)) } ?? 0)
            registry.makeGauge(
                name: "snowpiped_oldest_unconfirmed_age_seconds", labels: [("pipe", summary.pipe)],
                help: "Age of the oldest file accepted by Snowflake whose final status is not known yet (0: none)."
            ).set(age?.oldestSubmitted.map { max(0, now.timeIntervalSince($0)) } ?? 0)
        }
        registry.makeGauge(name: "snowpiped_outbox_bytes", help: "Size of the outbox database and its WAL.")
            .set(Double(outboxBytes))
        registry.makeGauge(
            name: "snowpiped_settling_files", help: "Files seen that wait to settle before they are recorded."
        ).set(Double(settling))
    }
}
