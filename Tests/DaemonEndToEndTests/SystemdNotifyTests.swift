import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

/// A fake service manager: a unix datagram socket collecting sd_notify messages.
final class NotifySocket: Sendable {
    let path: String
    private let descriptor: Int32
    private let received = Mutex<[String]>([])

    init(directory: String) throws {
        path = directory + "/notify.sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8) + [0])
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw POSIXError(.EADDRINUSE) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Reads whatever arrived (waits at most 100 ms).
    func poll() -> [String] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            let message = String(decoding: buffer[0..<count], as: UTF8.self)
            received.withLock { $0.append(message) }
        }
        return received.withLock { $0 }
    }
}

@Suite("sd_notify: READY, STATUS, WATCHDOG only while alive, STOPPING", .serialized)
struct SystemdNotifyTests {
    @Test func theDaemonNotifiesReadyStatusWatchdogAndStopping() async throws {
        let harness = try DaemonHarness()
        let socket = try NotifySocket(directory: harness.root.path)
        try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            try harness.configure(port: Int(base.split(separator: ":").last!)!)
            setenv("NOTIFY_SOCKET", socket.path, 1)
            setenv("WATCHDOG_USEC", "1000000", 1)
            setenv("SNOWPIPED_TEST_HOOKS", "1", 1)
            defer {
                unsetenv("NOTIFY_SOCKET")
                unsetenv("WATCHDOG_USEC")
                unsetenv("SNOWPIPED_TEST_HOOKS")
            }
            try harness.start()
            try await DaemonHarness.waitUntil("READY=1 arrives") { socket.poll().contains { $0.contains("READY=1") } }
            let ready = socket.poll().first { $0.contains("READY=1") } ?? ""
            #expect(ready.contains("STATUS=watching 1 director"))
            harness.dropCSV("a.csv", firstID: 1, rows: 2)
            try await DaemonHarness.waitUntil("the status line counts the loaded file") {
                socket.poll().contains { $0.contains("since start 1 loaded") }
            }
            try await DaemonHarness.waitUntil("watchdog pings arrive") {
                socket.poll().filter { $0 == "WATCHDOG=1" }.count >= 3
            }
            // A stuck pipeline loop: pings must stop, so systemd would kill and restart the daemon.
            _ = FileManager.default.createFile(atPath: harness.stateDirectory + "/.test-stall", contents: nil)
            try await DaemonHarness.waitUntil("the daemon reports a stuck loop") {
                harness.log.contains("pipeline loop(s) stuck: batcher DB.S.CSV_PIPE")
            }
            let pingsAtStall = socket.poll().filter { $0 == "WATCHDOG=1" }.count
            try await Task.sleep(for: .seconds(1.5))  // an observation window of more than one watchdog interval
            #expect(socket.poll().filter { $0 == "WATCHDOG=1" }.count <= pingsAtStall + 1)
            await harness.stop(signal: SIGKILL)
        }
    }

    @Test func theStatusTotalsSurviveARestart() async throws {
        try await DaemonHarness.withDaemon(start: false) { harness in
            let socket = try NotifySocket(directory: harness.root.path)
            setenv("NOTIFY_SOCKET", socket.path, 1)
            defer { unsetenv("NOTIFY_SOCKET") }
            try await harness.startAndWaitUntilReady()
            harness.dropCSV("a.csv", firstID: 1, rows: 2, renameIn: true)
            try await DaemonHarness.waitUntil("the status line counts the loaded file") {
                socket.poll().contains { $0.contains("since start 1 loaded") && $0.contains("in the outbox 1 loaded") }
            }
            #expect(await harness.stop() == 0)
            try await harness.startAndWaitUntilReady()
            harness.dropCSV("b.csv", firstID: 3, rows: 1, renameIn: true)
            try await DaemonHarness.waitUntil("the totals count both runs") {
                socket.poll().contains { $0.contains("since start 1 loaded") && $0.contains("in the outbox 2 loaded") }
            }
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aReloadSaysSoThenReadyAgainAndOnlyARealStopSaysStopping() async throws {
        let harness = try DaemonHarness()
        let socket = try NotifySocket(directory: harness.root.path)
        try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            try harness.configure(port: Int(base.split(separator: ":").last!)!)
            setenv("NOTIFY_SOCKET", socket.path, 1)
            defer { unsetenv("NOTIFY_SOCKET") }
            try await harness.startAndWaitUntilReady()
            harness.signal(SIGHUP)
            try await DaemonHarness.waitUntil("READY=1 after the reload's STATUS") {
                let messages = socket.poll()
                guard let reloading = messages.firstIndex(where: { $0.contains("STATUS=reloading the configuration") })
                else { return false }
                return messages[reloading...].contains { $0.hasPrefix("READY=1") }
            }
            // STOPPING=1 would make systemd wait for an exit that never comes, then kill the service.
            #expect(socket.poll().contains { $0.contains("STOPPING=1") } == false)
            #expect(socket.poll().contains { $0.contains("RELOADING=1") } == false)
            #expect(await harness.stop() == 0)
            #expect(socket.poll().contains { $0.hasPrefix("STOPPING=1") }, "a real stop still says so")
        }
    }

    @Test func withoutAJournalTheJournalHandlerFallsBackToStderrWithPriorities() async throws {
        let harness = try DaemonHarness()
        try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            try harness.configure(port: Int(base.split(separator: ":").last!)!)
            try harness.start(extraArguments: ["--log-target", "journal"])
            harness.dropCSV("a.csv", firstID: 1, rows: 2)
            // Not waiting for READY (it may go to a journal); until the daemon has created the schema,
            // reading the outbox fails, which here just means "not yet".
            try await DaemonHarness.waitUntil("a.csv is LOADED") { (try? await states(harness))?["LOADED"] == 1 }
            // With no journald listening (the usual case in CI) every entry falls back to stderr.
            if let line = harness.log.split(separator: "\n").first(where: { $0.contains("LOADED a.csv") }) {
                #expect(line.hasPrefix("<5>LOADED a.csv into DB.S.CSV_PIPE: 2 rows"))
                #expect(line.contains("file.rows_inserted=2"))
            }
            #expect(await harness.stop() == 0)
        }
    }
}
