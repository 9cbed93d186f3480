import ArgumentParser
import Foundation
import Glibc
import IngestCore
import Logging
import SnowflakeAuth
import SnowpipeDaemon
import SnowpipeEmulator

/// `snowpiped-replay`: the daemon's work on a fixed set of files, in one process with the emulator (`Replay`), for
/// counting instructions under `valgrind --tool=callgrind` (`make bench`; issue 24). Run it with `--files 0` and
/// with `--files N` over the same work directory: the difference divided by N is the instructions per file, the
/// fixed costs (start-up, the emulator, the key) cancelling out. The files are made once in `<work>/pool` and
/// renamed into the empty watched directory `<work>/stage` once the watcher is ready (as a writer drops files),
/// then renamed back, so a run creates nothing and its start-up scan finds nothing. No periodic scan, and the
/// default report poll (10 s): under valgrind a run lasts minutes, and whatever runs per second of wall time (a
/// rescan of every file each 300 s, a report poll each second) made the count grow with the run's length and the
/// machine's load (+15% beside a test run). The events go to the watcher in one batch: in batches of 512, how
/// many a transaction took depended on the run's timing, and recording them varied by ±20% from run to run.
@main
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snowpiped-replay",
        abstract: "Replay the daemon's work on N files against the in-process emulator (for instruction counts).")

    @Option(help: "Work directory: the files (made once in pool/, kept), the key, a fresh state directory per run.")
    var work: String

    @Option(help: "How many of the directory's files to replay (they are created when missing).")
    var files: Int = 20_000

    @Option(help: "Log handler for the outcome lines: stderr, or none (the outcome lines are still formatted).")
    var log: String = "stderr"

    func validate() throws {
        guard files >= 0 else { throw ValidationError("--files \(files): give 0 or more") }
        guard ["stderr", "none"].contains(log) else { throw ValidationError("--log \(log): stderr or none") }
    }

    func run() async throws {
        let stage = work + "/stage"
        let pool = work + "/pool"
        try? FileManager.default.removeItem(atPath: stage)
        try FileManager.default.createDirectory(atPath: stage, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: pool, withIntermediateDirectories: true)
        let names = try Self.files(in: pool, count: files)
        let key = try Self.key(at: work + "/replay-key.p8")
        let state = work + "/state"
        try? FileManager.default.removeItem(atPath: state)
        let pipe = "REPLAY.PUBLIC.FILES_PIPE"
        let emulator = try SnowpipeEmulator(
            configuration: EmulatorConfiguration(
                account: "REPLAY-ACCOUNT",
                users: [.init(name: "REPLAY_USER", publicKeys: [key.publicKey.pem], pipes: [pipe])],
                pipes: [
                    PipeDefinition(
                        name: pipe, stageDirectory: stage, table: "REPLAY.PUBLIC.T",
                        columns: [.init(name: "ID", type: .number), .init(name: "NAME", type: .varchar)],
                        format: .init(type: .csv, skipHeader: 1))
                ], loadDelaySeconds: 0))
        let configuration = try ConfigurationLoader.parse(
            """
            snowflake:
              account: replay-account
              user: replay_user
              private_key_file: \(work)/replay-key.p8
              host: 127.0.0.1
              port: 1
              scheme: http
              allow_plain_http: true
            state_directory: \(state)
            watch:
              - directory: \(stage)
                pipe: \(pipe)
            scan:
              periodic_seconds: 0
            """, file: "replay.yaml")
        let toStandardError = log == "stderr"
        var logger = Logger(label: "snowpiped-replay") { label -> any LogHandler in
            toStandardError ? StreamLogHandler.standardError(label: label) : SwiftLogNoOpLogHandler()
        }
        logger.logLevel = .info
        // The emulator loads what insertFiles accepted as its server would: on its own task.
        let loader = Task { await emulator.runLoader() }
        defer { loader.cancel() }
        let result = try await Replay.run(
            configuration: configuration, key: key,
            moveIn: { try Self.rename(names, from: pool, to: stage) }, transport: InProcessTransport(emulator),
            logger: logger, eventBatch: max(1, files))
        _ = try Self.rename(names, from: stage, to: pool)
        let finished = result.finished.map { "\"\($0.key.rawValue)\": \($0.value)" }.sorted().joined(separator: ", ")
        print("{\"files\": \(result.files), \"seconds\": \(result.seconds), \"finished\": {\(finished)}}")
        guard result.finished.values.reduce(0, +) == result.files else {
            throw ExitCode(1)
        }
    }

    /// Renames `names` from one directory to the other; returns their new paths.
    static func rename(_ names: [String], from source: String, to target: String) throws -> [String] {
        try names.map { name in
            guard Glibc.rename(source + "/" + name, target + "/" + name) == 0 else {
                throw ValidationError("cannot move \(source)/\(name) to \(target): errno \(errno)")
            }
            return target + "/" + name
        }
    }

    /// The names of the first `count` files `f%07d.csv` of `directory`, each created (one row) when missing.
    static func files(in directory: String, count: Int) throws -> [String] {
        (0..<count).map { index in
            let name = String(format: "f%07d.csv", index)
            let path = directory + "/" + name
            if access(path, F_OK) != 0 {
                let text = Array("ID,NAME\n\(index),n\(index)\n".utf8)
                let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                precondition(descriptor >= 0, "cannot create \(path): errno \(errno)")
                _ = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                close(descriptor)
            }
            return name
        }
    }

    /// The replay's key: made once and kept, so every run signs the same way (a key generation's prime search
    /// would make the fixed cost vary).
    static func key(at path: String) throws -> PrivateKey {
        if access(path, F_OK) != 0 {
            let key = try PrivateKey.generate()
            try key.pkcs8PEM().write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o600)
        }
        return try PrivateKey.load(path: path, passphrase: nil)
    }
}
