import Foundation
import IngestCore
import Outbox
import Prometheus
import Synchronization

/// The daemon's Prometheus instruments (`snowpiped_` names, base units, `_total` counters), one registry per
/// daemon. Services count events as they happen; the gauges that describe the outbox (files by state, oldest
/// waiting file, its size) are read from it at each scrape (`refresh`), so they are never stale and cost nothing
/// between scrapes. Instruments exist whether or not the endpoint is on: an increment is an atomic add.
///
/// Every name and its help text is declared here once (the registry refuses two help texts for one name).
public final class DaemonMetrics: Sendable {
    /// The registry the endpoint renders.
    public let registry = PrometheusCollectorRegistry()
    /// When the outbox gauges were last read (`refreshDue`).
    private let lastRefresh = Mutex<Date?>(nil)
    /// The outbox gauges are read at most this often: each read counts every row (a scrape a second during a
    /// burst cost the daemon ~25% more CPU per file when every scrape read them).
    static let refreshInterval: TimeInterval = 10

    /// Every metric in the Prometheus text format, as the endpoint serves it.
    func exposition() -> [UInt8] { registry.emitToBuffer() }

    /// True (and the instant recorded) when the outbox gauges are due for a new read at `now`.
    func refreshDue(now: Date) -> Bool {
        lastRefresh.withLock { last in
            if let last, now.timeIntervalSince(last) < Self.refreshInterval, now >= last { return false }
            last = now
            return true
        }
    }

    /// `finished`'s instruments by pipe and status.
    private let finishedInstruments = Mutex<[String: (Counter, ValueHistogram)]>([:])

    public init() {}

    // MARK: Names and help texts, each declared once (the descriptor type is not Sendable: built per use)

    static var filesDiscoveredTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "files_discovered_total", unitName: "",
            helpText: "Files recorded in the outbox (each file version once).")
    }
    static var filesSubmittedTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "files_submitted_total", unitName: "",
            helpText: "Files accepted by insertFiles (or whose rows were appended, in stream mode).")
    }
    static var submitLatencySeconds: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "submit_latency_seconds", unitName: "",
            helpText: "Seconds from a file's discovery to its acceptance by Snowflake.")
    }
    static var filesFinishedTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "files_finished_total", unitName: "",
            helpText: "Files that reached a final status, by status.")
    }
    static var finalLatencySeconds: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "final_latency_seconds", unitName: "",
            helpText: "Seconds from a file's discovery to its final status.")
    }
    static var snowflakeRequestsTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "snowflake_requests_total", unitName: "",
            helpText: "Calls to Snowflake by operation and HTTP status class (none: no answer).")
    }
    static var retriesTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "retries_total", unitName: "",
            helpText: "Failed calls to Snowflake that will be retried after a backoff.")
    }
    static var backoffSecondsTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "backoff_seconds_total", unitName: "",
            helpText: "Seconds of backoff decided after failed calls.")
    }
    static var reportGapsTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "report_gaps_total", unitName: "",
            helpText: "Windows the load reports may have missed, read with loadHistoryScan.")
    }
    static var inotifyOverflowsTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "inotify_overflows_total", unitName: "",
            helpText: "Times the inotify event queue overflowed.")
    }
    static var rescansTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "rescans_total", unitName: "",
            helpText: "Directory scans after the start-up scan.")
    }
    static var uploadedFilesTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "uploaded_files_total", unitName: "",
            helpText: "Files uploaded to the stage and verified.")
    }
    static var uploadedBytesTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "uploaded_bytes_total", unitName: "",
            helpText: "Bytes of files uploaded to the stage (before encryption).")
    }
    static var uploadRetriesTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "upload_retries_total", unitName: "",
            helpText: "Files whose upload failed for now, by cause: the S3 error code (or s3_http_<status>, "
                + "s3_no_answer), snowflake_<code> for the PUT's session, not_verified, local.")
    }

    static var stageCredentialRenewalsTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "stage_credential_renewals_total", unitName: "",
            helpText: "Stage credentials renewed (a new PUT answer) after S3 refused the old ones as expired.")
    }

    static var uploadFailuresTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "upload_failures_total", unitName: "",
            helpText: "Upload rounds that failed and back off.")
    }
    static var streamAppendCallsTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "stream_append_calls_total", unitName: "",
            helpText: "appendRows calls accepted.")
    }
    static var streamRowsAppendedTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "stream_rows_appended_total", unitName: "",
            helpText: "Rows appended to streaming channels.")
    }
    static var streamAppendBytesTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "stream_append_bytes_total", unitName: "",
            helpText: "Uncompressed bytes of rows appended.")
    }
    static var streamRowsCommittedTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "stream_rows_committed_total", unitName: "",
            helpText: "Rows of finished stream files committed to the table.")
    }
    static var streamRowsRejectedTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "stream_rows_rejected_total", unitName: "",
            helpText: "Rows of finished stream files that Snowflake or snowpiped rejected.")
    }
    static var streamChannelReopensTotal: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "stream_channel_reopens_total", unitName: "",
            helpText: "Streaming channel reopens by reason.")
    }
    static var streamCommitWaitSeconds: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "stream_commit_wait_seconds", unitName: "",
            helpText: "How long appended rows have waited with the committed offset not moving (0: nothing waits): "
                + "the lag between the last appended and the last committed offset, in time.")
    }

    static var streamUncommittedFiles: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "stream_uncommitted_files", unitName: "",
            helpText: "Stream files appended whose commit Snowflake has not confirmed yet.")
    }
    static var files: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "files", unitName: "",
            helpText: "Files in the outbox by pipe and state.")
    }
    static var oldestPendingAgeSeconds: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "oldest_pending_age_seconds", unitName: "",
            helpText: "Age of the oldest file not yet accepted by Snowflake (0: none).")
    }
    static var oldestUnconfirmedAgeSeconds: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "oldest_unconfirmed_age_seconds", unitName: "",
            helpText: "Age of the oldest file accepted by Snowflake whose final status is not known yet (0: none).")
    }
    static var outboxBytes: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "outbox_bytes", unitName: "",
            helpText: "Size of the outbox database and its WAL.")
    }
    static var settlingFiles: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "snowpiped", metricName: "settling_files", unitName: "",
            helpText: "Files seen that wait to settle before they are recorded.")
    }

    /// Seconds buckets for latencies from discovery to submission or to the final status: 0.1 s to 4 h.
    static let latencyBuckets: [Double] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 14_400]

    // MARK: Files

    /// Files recorded in the outbox (pending, or finished at once when they can never be sent).
    func discovered(pipe: String, count: Int) {
        guard count > 0 else { return }
        registry.makeCounter(descriptor: Self.filesDiscoveredTotal, labels: [("pipe", pipe)]).increment(
            by: Int64(count))
    }

    /// Files insertFiles accepted, with their wait since discovery.
    func submitted(pipe: String, files: [FileRecord], at now: Date) {
        guard files.isEmpty == false else { return }
        registry.makeCounter(descriptor: Self.filesSubmittedTotal, labels: [("pipe", pipe)]).increment(
            by: Int64(files.count))
        let histogram = registry.makeValueHistogram(
            descriptor: Self.submitLatencySeconds, labels: [("pipe", pipe)], buckets: Self.latencyBuckets)
        for file in files { histogram.record(max(0, now.timeIntervalSince(file.discoveredAt))) }
    }

    /// A file reached its final status.
    func finished(_ file: FileRecord) {
        // Once per file, at burst rates: the instruments are looked up in the registry once per (pipe, status)
        // (a registry lookup validates the name and labels each time).
        let (counter, histogram) = finishedInstruments.withLock { cache in
            let key = file.pipe + "\u{0}" + file.state.rawValue
            if let known = cache[key] { return known }
            let made = (
                registry.makeCounter(
                    descriptor: Self.filesFinishedTotal, labels: [("pipe", file.pipe), ("status", file.state.rawValue)]),
                registry.makeValueHistogram(
                    descriptor: Self.finalLatencySeconds, labels: [("pipe", file.pipe)], buckets: Self.latencyBuckets)
            )
            cache[key] = made
            return made
        }
        counter.increment()
        histogram.record(max(0, (file.finishedAt ?? Date()).timeIntervalSince(file.discoveredAt)))
    }

    // MARK: Snowflake calls

    /// One answer (or none) to a call to Snowflake: `code` is `2xx`, `4xx`, `5xx` or `none`.
    func request(pipe: String, operation: String, status: Int?) {
        let code = status.map { "\($0 / 100)xx" } ?? "none"
        registry.makeCounter(
            descriptor: Self.snowflakeRequestsTotal, labels: [("pipe", pipe), ("operation", operation), ("code", code)]
        ).increment()
    }

    /// The pipe backs off `seconds` before its next call.
    func backedOff(pipe: String, seconds: Double) {
        registry.makeCounter(descriptor: Self.retriesTotal, labels: [("pipe", pipe)]).increment()
        registry.makeCounter(descriptor: Self.backoffSecondsTotal, labels: [("pipe", pipe)]).increment(
            by: max(0, seconds))
    }

    /// A report gap was read with loadHistoryScan.
    func reportGap(pipe: String) {
        registry.makeCounter(descriptor: Self.reportGapsTotal, labels: [("pipe", pipe)]).increment()
    }

    // MARK: Watching

    /// The inotify queue overflowed (every directory is rescanned).
    func inotifyOverflow() {
        registry.makeCounter(descriptor: Self.inotifyOverflowsTotal).increment()
    }

    /// Directories scanned after start-up (new directories, overflows, periodic scans).
    func rescanned(directories: Int) {
        registry.makeCounter(descriptor: Self.rescansTotal).increment(by: Int64(directories))
    }

    // MARK: Uploads

    /// A file was uploaded to the stage and verified.
    func uploaded(pipe: String, bytes: Int64) {
        registry.makeCounter(descriptor: Self.uploadedFilesTotal, labels: [("pipe", pipe)]).increment()
        registry.makeCounter(descriptor: Self.uploadedBytesTotal, labels: [("pipe", pipe)]).increment(by: bytes)
    }

    /// One file's upload failed for now (`code`: `StageUploader.Outcome.retry`'s cause).
    func uploadRetry(pipe: String, code: String) {
        registry.makeCounter(descriptor: Self.uploadRetriesTotal, labels: [("pipe", pipe), ("code", code)]).increment()
    }

    /// The stage's temporary credentials expired and were renewed.
    func stageCredentialsRenewed(pipe: String) {
        registry.makeCounter(descriptor: Self.stageCredentialRenewalsTotal, labels: [("pipe", pipe)]).increment()
    }

    /// An upload round failed and backs off.
    func uploadFailed(pipe: String) {
        registry.makeCounter(descriptor: Self.uploadFailuresTotal, labels: [("pipe", pipe)]).increment()
    }

    // MARK: Streaming

    /// Rows appended to a channel, in one append call of `bytes` bytes.
    func appended(pipe: String, rows: Int, bytes: Int) {
        registry.makeCounter(descriptor: Self.streamAppendCallsTotal, labels: [("pipe", pipe)]).increment()
        registry.makeCounter(descriptor: Self.streamRowsAppendedTotal, labels: [("pipe", pipe)]).increment(
            by: Int64(rows))
        registry.makeCounter(descriptor: Self.streamAppendBytesTotal, labels: [("pipe", pipe)]).increment(
            by: Int64(bytes))
    }

    /// Rows Snowflake committed (and rejected) for finished stream files.
    func committed(pipe: String, rows: Int64, rejected: Int64) {
        registry.makeCounter(descriptor: Self.streamRowsCommittedTotal, labels: [("pipe", pipe)]).increment(
            by: max(0, rows))
        registry.makeCounter(descriptor: Self.streamRowsRejectedTotal, labels: [("pipe", pipe)]).increment(
            by: max(0, rejected))
    }

    /// The channel is reopened (`reason`: `refused` after a failed call, `status` after a status read).
    func channelReopened(pipe: String, reason: String) {
        registry.makeCounter(descriptor: Self.streamChannelReopensTotal, labels: [("pipe", pipe), ("reason", reason)])
            .increment()
    }

    /// Files whose rows were appended to the channel and whose commit is not confirmed yet (the lag between the
    /// last appended and the last committed offset, in files).
    func uncommittedFiles(pipe: String, _ files: Int) {
        registry.makeGauge(descriptor: Self.streamUncommittedFiles, labels: [("pipe", pipe)]).set(Double(max(0, files)))
    }

    /// How long appended rows have waited for the commit to move, at a status read (0: nothing waits).
    func commitWait(pipe: String, seconds: Double) {
        registry.makeGauge(descriptor: Self.streamCommitWaitSeconds, labels: [("pipe", pipe)]).set(max(0, seconds))
    }

    // MARK: The outbox, read at each scrape

    /// Sets the outbox gauges from `snapshot` (per pipe) at `now`.
    func refresh(_ snapshot: [PipeSummary], outboxBytes: Int64, settling: Int, now: Date) {
        for summary in snapshot {
            for state in FileState.allCases {
                registry.makeGauge(descriptor: Self.files, labels: [("pipe", summary.pipe), ("state", state.rawValue)])
                    .set(Double(summary.counts[state.rawValue] ?? 0))
            }
            registry.makeGauge(descriptor: Self.oldestPendingAgeSeconds, labels: [("pipe", summary.pipe)]).set(
                summary.oldestPending.map { max(0, now.timeIntervalSince($0)) } ?? 0)
            registry.makeGauge(descriptor: Self.oldestUnconfirmedAgeSeconds, labels: [("pipe", summary.pipe)]).set(
                summary.oldestSubmitted.map { max(0, now.timeIntervalSince($0)) } ?? 0)
        }
        registry.makeGauge(descriptor: Self.outboxBytes)
            .set(Double(outboxBytes))
        registry.makeGauge(descriptor: Self.settlingFiles).set(Double(settling))
    }
}
