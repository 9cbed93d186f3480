import ArgumentParser
import Foundation
import Glibc
import IngestCore
import Outbox
import SnowpipeDaemon

/// `snowpiped status [PATH]`: what the outbox says, read while the daemon runs.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract:
            "Show per-pipe counts by state, the oldest unfinished file and recent problems; or one file's history."
    )

    @Option(name: .shortAndLong, help: "Configuration file (to find the state directory).")
    var config: String = "/etc/snowpiped/snowpiped.yaml"

    @Flag(name: .long, help: "Print JSON for scripts.")
    var json = false

    @Argument(help: "A file (local path or stage path) to show the history of.")
    var path: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With PATH: wait up to this many seconds for the file's final status (exit 1 if it has none by then).",
            valueName: "seconds"))
    var wait: Double?

    func validate() throws {
        if wait != nil, path == nil { throw ValidationError("--wait needs a PATH: the file to wait for") }
        if let wait, wait < 0 || wait.isFinite == false {
            throw ValidationError("--wait \(wait): give a number of seconds, 0 or more")
        }
    }

    func run() async throws {
        let settings = try Snowpiped.loadConfiguration(config)
        var info = stat()
        guard stat(settings.databasePath, &info) == 0 else {
            if errno == EACCES {
                throw CheckFailure(
                    "cannot read the outbox \(settings.databasePath): permission denied (user \(Self.userName)). "
                        + "Members of the `snowpiped` group may read it: `sudo usermod -aG snowpiped "
                        + "\(Self.userName)`, then log in again; or run `sudo snowpiped status`")
            }
            throw CheckFailure("no outbox at \(settings.databasePath) yet: has `snowpiped run` started?")
        }
        let outbox: Outbox
        let running = StateDirectoryLock.runningDaemon(stateDirectory: settings.stateDirectory) != nil
        do {
            // While no daemon runs and its WAL is checkpointed away, the file alone is the whole truth: read it
            // as immutable, so a member of the snowpiped group (who may not create `-shm` in the state
            // directory) can read it too.
            var walInfo = stat()
            let walEmpty = stat(settings.databasePath + "-wal", &walInfo) != 0 || walInfo.st_size == 0
            // Waiting watches a daemon's writes: never immutable then.
            outbox = try Outbox(
                path: settings.databasePath, readOnly: true, immutable: !running && walEmpty && wait == nil)
        } catch {
            throw CheckFailure("\(error) (is \(settings.databasePath) readable by you? see README: status access)")
        }
        if let path {
            try await showFile(path, outbox: outbox)
        } else {
            try await showSummary(outbox: outbox, daemonRunning: running)
        }
    }

    /// `daemonRunning`: the watcher's settling count (stored every few seconds) is shown only while it runs.
    private func showSummary(outbox: Outbox, daemonRunning: Bool) async throws {
        let summaries = try await outbox.summary()
        let settling = daemonRunning ? try await outbox.settling() : nil
        let problems = try await outbox.recentProblems(limit: 10)
        let latencies = try await outbox.finalLatencies(since: Date().addingTimeInterval(-3600))
        if json {
            let object: [String: Any] = [
                "pipes": summaries.map { summary -> [String: Any] in
                    var entry: [String: Any] = ["pipe": summary.pipe, "counts": summary.counts]
                    if let oldest = summary.oldestUnfinished { entry["oldestUnfinished"] = Self.iso(oldest) }
                    if let problem = summary.uploadProblem {
                        entry["uploadProblem"] = problem
                        entry["uploadProblemSince"] = summary.uploadProblemSince.map(Self.iso)
                    }
                    if let problem = summary.submitProblem {
                        entry["submitProblem"] = problem
                        entry["submitProblemSince"] = summary.submitProblemSince.map(Self.iso)
                    }
                    if let oldest = summary.oldestPending { entry["oldestPending"] = Self.iso(oldest) }
                    if let oldest = summary.oldestSubmitted { entry["oldestUnconfirmed"] = Self.iso(oldest) }
                    if let last = summary.lastSuccessAt { entry["lastSuccessfulCall"] = Self.iso(last) }
                    if let until = summary.backoffUntil, until > Date() {
                        entry["backoffUntil"] = Self.iso(until)
                        entry["backoffReason"] = summary.backoffReason ?? "a call failed"
                    }
                    if let latency = latencies[summary.pipe] {
                        entry["finalLatencyLastHour"] = [
                            "files": latency.files, "p50Seconds": latency.p50, "p99Seconds": latency.p99,
                        ]
                    }
                    return entry
                },
                "recentProblems": problems.map(Self.fileObject),
                "settling": settling?.count ?? 0,
            ]
            print(try Self.jsonText(object))
            return
        }
        if let settling, settling.count > 0 {
            print(
                "settling: \(settling.count) file(s) written but not yet quiet for settle_seconds (not in the outbox "
                    + "yet; as of \(Self.iso(settling.storedAt)))")
        }
        if summaries.isEmpty { print("no files recorded yet") }
        let order = ["pending", "submitted"] + FileState.allCases.filter(\.isTerminal).map(\.rawValue)
        for summary in summaries {
            print(summary.pipe)
            for state in order {
                if let count = summary.counts[state] {
                    print("  \(state.padding(toLength: 17, withPad: " ", startingAt: 0)) \(count)")
                }
            }
            if let oldest = summary.oldestUnfinished {
                print("  oldest unfinished: \(Self.age(of: oldest)) ago (\(Self.iso(oldest)))")
            }
            if let oldest = summary.oldestSubmitted {
                print("  oldest unconfirmed (accepted, no final status): \(Self.age(of: oldest)) ago")
            }
            if let last = summary.lastSuccessAt {
                print("  last successful call to Snowflake: \(Self.age(of: last)) ago (\(Self.iso(last)))")
            }
            if let until = summary.backoffUntil, until > Date() {
                print(
                    "  backing off until \(Self.iso(until)): \(summary.backoffReason ?? "a call failed")")
            }
            if let latency = latencies[summary.pipe] {
                print(
                    "  discovery → final status, last hour: p50 \(Self.seconds(latency.p50)), p99 "
                        + "\(Self.seconds(latency.p99)) (\(latency.files) file(s))")
            }
            if let problem = summary.uploadProblem {
                let since = summary.uploadProblemSince.map { " for \(Self.age(of: $0))" } ?? ""
                print("  uploads to the stage failing\(since) (retrying with backoff): \(problem)")
            }
            if let problem = summary.submitProblem {
                let since = summary.submitProblemSince.map { " for \(Self.age(of: $0))" } ?? ""
                print("  stalled\(since): \(problem)")
            }
        }
        if problems.isEmpty == false {
            print("recent problems:")
            for file in problems {
                print("  \(file.finishedAt.map(Self.iso) ?? "-")  \(FileOutcomeLog.message(file))")
            }
        }
    }

    private func showFile(_ path: String, outbox: Outbox) async throws {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        func read() async throws -> [FileRecord] {
            let records = try await outbox.history(path: absolute)
            return records.isEmpty ? try await outbox.history(path: path) : records
        }
        var records = try await read()
        if let wait {
            // The newest version decides; a file still settling has no row yet.
            let deadline = ContinuousClock.now + .milliseconds(Int64(wait * 1000))
            while records.last?.state.isTerminal != true, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                records = try await read()
            }
            if records.last?.state.isTerminal != true {
                let state = records.last.map { "still \($0.state.rawValue)" } ?? "not recorded yet (settling?)"
                throw CheckFailure("\(path): \(state) after \(wait.formatted()) s")
            }
        }
        if json {
            print(try Self.jsonText(["path": path, "versions": records.map(Self.fileObject)]))
            return
        }
        guard records.isEmpty == false else {
            throw CheckFailure("no record of \(path) (give the local path or the stage path)")
        }
        for file in records {
            print("\(file.localPath)  (stage path \(file.stagePath), pipe \(file.pipe), \(file.size) bytes)")
            print("  state: \(file.state.rawValue)")
            print("  discovered: \(Self.iso(file.discoveredAt))")
            if let at = file.submittedAt { print("  submitted: \(Self.iso(at)) (requestId \(file.requestID ?? "-"))") }
            if let at = file.finishedAt { print("  finished: \(Self.iso(at))") }
            if let rows = file.rowsInserted { print("  rows: \(rows) inserted of \(file.rowsParsed ?? rows) parsed") }
            if file.state.isTerminal { print("  \(FileOutcomeLog.message(file))") }
        }
    }

    static func fileObject(_ file: FileRecord) -> [String: Any] { file.jsonObject }

    static func jsonText(_ object: Any) throws -> String {
        String(
            decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]),
            as: UTF8.self)
    }

    static func iso(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// `0.4 s`, `12 s`, `3.5 min`.
    static func seconds(_ value: Double) -> String {
        if value < 10 { return String(format: "%.1f s", value) }
        if value < 120 { return "\(Int(value.rounded())) s" }
        return String(format: "%.1f min", value / 60)
    }

    static func age(of date: Date) -> String {
        let seconds = Int(Date().timeIntervalSince(date))
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7200 { return "\(seconds / 60) min" }
        return "\(seconds / 3600) h"
    }

    /// The name of the user running the command (for the permission hint).
    static var userName: String {
        getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid \(getuid())"
    }
}
