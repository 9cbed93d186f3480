import Foundation
import SnowflakeAuth
import SnowpipeEmulator
import Synchronization

/// Runs the real `snowpiped run` binary as a child process against a live emulator, with a temporary
/// watched directory (the emulator pipe's stage) and state directory.
public final class DaemonHarness: Sendable {
    public let fixture: EmulatorFixture
    public let root: TemporaryDirectory
    /// The watched directory (= the emulator's stage directory).
    public var drop: String { fixture.stage.path }
    public var stateDirectory: String { root.path + "/state" }
    public var configPath: String { root.path + "/snowpiped.yaml" }
    public var logPath: String { root.path + "/snowpiped.log" }
    private let process = Mutex<Process?>(nil)
    private let configuredPort = Mutex<Int>(0)
    /// The emulator port of the last `configure` (to write the configuration again with another rule).
    public var port: Int { configuredPort.withLock { $0 } }

    public init(adjust: (inout EmulatorConfiguration) -> Void = { _ in }) throws {
        fixture = try EmulatorFixture {
            $0.loadDelaySeconds = 0
            adjust(&$0)
        }
        fixture.clock.followSystemTime()
        root = TemporaryDirectory("daemon")
    }

    /// Writes the key and the configuration for an emulator on `port`.
    /// `watchExtra` adds keys to the watch rule (indented by four spaces), `extra` to the `reporter` section.
    public func configure(
        port: Int, pipe: String = "DB.S.CSV_PIPE", extra: String = "", watchExtra: String = "",
        settleSeconds: Double = 0.5, requestTimeoutSeconds: Double = 60
    ) throws {
        configuredPort.withLock { $0 = port }
        let keyPath = root.path + "/key.p8"
        try TestKeys.primary.pkcs8PEM().write(toFile: keyPath, atomically: true, encoding: .utf8)
        chmod(keyPath, 0o600)
        let config = """
            snowflake:
              account: myorg-myacct
              user: ingest_user
              private_key_file: \(keyPath)
              host: 127.0.0.1
              port: \(port)
              scheme: http
              allow_plain_http: true
              request_timeout_seconds: \(requestTimeoutSeconds)
            state_directory: \(stateDirectory)
            watch:
              - directory: \(drop)
                pipe: \(pipe)
                settle_seconds: \(settleSeconds)
            \(watchExtra)
            batching:
              linger_ms: 100
            reporter:
              poll_seconds: 0.3
            \(extra)
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts `snowpiped run`; its stderr is appended to `logPath`. With `user`, the daemon runs as that uid
    /// and gid (through `setpriv`, root only), as the service user does. `wrapper` runs it through another
    /// command (e.g. `unshare`), which gets the daemon's path and arguments last.
    public func start(extraArguments: [String] = [], user: UInt32? = nil, wrapper: [String] = []) throws {
        if FileManager.default.fileExists(atPath: logPath) == false {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        let child = Process()
        var command = wrapper
        if let user { command += ["/usr/bin/setpriv", "--reuid=\(user)", "--regid=\(user)", "--clear-groups", "--"] }
        command += [
            ChildProcess.product("snowpiped"), "run", "--config", configPath, "--log-level",
            ProcessInfo.processInfo.environment["SNOWPIPED_TEST_LOG_LEVEL"] ?? "info",
        ]
        command += extraArguments
        child.executableURL = URL(fileURLWithPath: command[0])
        child.arguments = Array(command.dropFirst())
        child.standardError = log
        child.standardOutput = log
        try child.run()
        process.withLock { $0 = child }
    }

    /// Sends a signal and waits (on a GCD thread) for the process to exit; returns its status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) async -> Int32 {
        guard let child = process.withLock({ $0 }) else { return -1 }
        kill(child.processIdentifier, signal)
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                child.waitUntilExit()
                continuation.resume(returning: child.terminationStatus)
            }
        }
    }

    /// Sends `signal` to the daemon without waiting.
    public func signal(_ signal: Int32) {
        guard let child = process.withLock({ $0 }) else { return }
        kill(child.processIdentifier, signal)
    }

    /// True while the daemon process runs.
    public var isRunning: Bool { process.withLock { $0?.isRunning ?? false } }

    /// The daemon's log so far.
    public var log: String {
        FileManager.default.contents(atPath: logPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// How many times a daemon started from this harness reported READY.
    public var readyCount: Int { log.components(separatedBy: "ready: watching and submitting").count - 1 }

    /// Starts the daemon and waits until it reports READY (signal handlers installed, startup scan done).
    public func startAndWaitUntilReady(user: UInt32? = nil, wrapper: [String] = []) async throws {
        let before = readyCount
        try start(user: user, wrapper: wrapper)
        try await Self.waitUntil("the daemon reports ready") { self.readyCount > before }
    }

    /// Waits until `condition` holds, checking every 50 ms, failing after `timeout`.
    public static func waitUntil(
        _ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while try await condition() == false {
            if clock.now > deadline { throw TimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Waits until the daemon's log contains `text` (an outcome is committed before it is logged).
    public func waitForLog(_ text: String, timeout: Duration = .seconds(60)) async throws {
        try await Self.waitUntil("the log says \"\(text)\"", timeout: timeout) { self.log.contains(text) }
    }

    /// A condition did not hold in time.
    public struct TimedOut: Error, CustomStringConvertible {
        public let what: String
        public var description: String { "timed out waiting until \(what)" }
    }

    /// Writes a CSV with `rows` rows whose IDs start at `firstID` (header included), atomically via rename
    /// when `renameIn`, else written in place.
    @discardableResult
    public func dropCSV(_ relative: String, firstID: Int, rows: Int, renameIn: Bool = false) -> String {
        var text = "ID,NAME,AMOUNT\n"
        for id in firstID..<(firstID + rows) { text += "\(id),n\(id),\(id).5\n" }
        let target = drop + "/" + relative
        try? FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if renameIn {
            let temporary = root.path + "/tmp-\(UUID().uuidString)"
            _ = FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8))
            rename(temporary, target)
        } else {
            _ = FileManager.default.createFile(atPath: target, contents: Data(text.utf8))
        }
        return target
    }
}
