import Foundation
import IngestCore
import Outbox
import SnowpipeEmulator
import TestSupport
import Testing

/// Creates a file whose name is the raw bytes `name` (which may not be UTF-8) in `directory`.
func createRaw(_ name: [UInt8], in directory: String, contents: String) {
    let path = Array(directory.utf8) + [47] + name + [0]
    path.withUnsafeBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { cPath in
            let fd = open(cPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            _ = contents.withCString { write(fd, $0, strlen($0)) }
            close(fd)
        }
    }
}

/// Checks that nothing secret reached the output: no PEM block, no JWT.
func expectNoSecrets(_ output: String, _ what: String) {
    #expect(output.contains("PRIVATE KEY-----") == false, "a key in \(what)")
    #expect(output.contains("eyJhbGciOi") == false, "a JWT in \(what)")
    #expect(output.contains("eyJ0eXAiOi") == false, "a JWT in \(what)")
}

@Suite("Hostile input: every good file LOADED once, every bad one ended with a reason", .serialized)
struct HostileInputTests {
    @Test func strangeNamesLoadAndUnsendableOnesAreRejectedWithTheirReason() async throws {
        try await DaemonHarness.withDaemon { harness in
            var good: [String: Range<Int>] = [:]
            let names = [
                "with space.csv", "new\nline.csv", "quote\"s'.csv", "per%cent?q#h.csv", "emoji-🧊❄️.csv",
                "ü-日本.csv", "-leading-dash.csv",
            ]
            for (index, name) in names.enumerated() {
                harness.dropCSV(name, firstID: index * 10, rows: 2, renameIn: index % 2 == 0)
                good[name] = (index * 10)..<(index * 10 + 2)
            }
            // A stage path of exactly 1024 bytes loads; 1025 bytes is rejected (Snowpipe's limit).
            let directories =
                String(repeating: "d", count: 200) + "/" + String(repeating: "e", count: 200) + "/"
                + String(repeating: "f", count: 200) + "/" + String(repeating: "g", count: 200) + "/"
            let exact = directories + String(repeating: "x", count: 1024 - directories.utf8.count - 4) + ".csv"
            let over = directories + String(repeating: "y", count: 1025 - directories.utf8.count - 4) + ".csv"
            #expect(exact.utf8.count == 1024 && over.utf8.count == 1025)
            harness.dropCSV(exact, firstID: 500, rows: 1)
            good[exact] = 500..<501
            harness.dropCSV(over, firstID: 600, rows: 1)
            // Not UTF-8 (Latin-1 "é").
            createRaw(Array("caf".utf8) + [0xE9] + Array(".csv".utf8), in: harness.drop, contents: csv(700..<701))
            try await DaemonHarness.waitUntil("every file ends", timeout: .seconds(60)) {
                let counts = try await states(harness)
                return counts["LOADED"] == good.count && counts["REJECTED"] == 2
            }
            try await expectExactlyOnce(harness, files: good)
            try await harness.waitForLog("the stage path is 1025 bytes in UTF-8; Snowpipe accepts at most 1024")
            try await harness.waitForLog(
                "the file name is not valid UTF-8; Snowpipe paths must be UTF-8: rename the file")
            let status = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["status", "--config", harness.configPath])
            #expect(status.stdout.contains("REJECTED          2"), "\(status.output)")
            #expect(status.stdout.contains("Snowpipe accepts at most 1024"), "\(status.output)")
            #expect(await harness.stop() == 0)
            expectNoSecrets(harness.log, "the daemon log")
        }
    }

    @Test func symlinksFifosSocketsAndHardLinksAreHandledWithoutHanging() async throws {
        let harness = try DaemonHarness()
        let drop = harness.drop
        let outside = harness.root.path + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: outside + "/target.csv", contents: Data(csv(0..<1).utf8))
        try FileManager.default.createSymbolicLink(
            atPath: drop + "/link.csv", withDestinationPath: outside + "/target.csv")
        try FileManager.default.createSymbolicLink(
            atPath: drop + "/dangling.csv", withDestinationPath: outside + "/none")
        try FileManager.default.createSymbolicLink(atPath: drop + "/loop.csv", withDestinationPath: drop + "/loop.csv")
        try FileManager.default.createSymbolicLink(atPath: drop + "/linkdir", withDestinationPath: outside)
        #expect(mkfifo(drop + "/pipe.csv", 0o644) == 0)
        let socketPath = drop + "/sock.csv"
        let socketFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in socketPath.utf8.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        defer { close(socketFD) }
        harness.dropCSV("original.csv", firstID: 10, rows: 2)
        #expect(link(drop + "/original.csv", drop + "/hardlink.csv") == 0)
        try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            try harness.configure(port: port(of: base))
            try await harness.startAndWaitUntilReady()
            do {
                try await DaemonHarness.waitUntil("every entry ends", timeout: .seconds(30)) {
                    let counts = try await states(harness)
                    return counts["LOADED"] == 2 && counts["REJECTED"] == 6
                }
            } catch {
                let rows = try await records(harness).map { "\($0.stagePath)=\($0.state.rawValue)" }
                Issue.record("rows: \(rows)")
                throw error
            }
            // Two names of one file are two paths: each loaded once.
            try await expectExactlyOnce(harness, files: ["original.csv": 10..<12, "hardlink.csv": 10..<12])
            let rejected = try await records(harness).filter { $0.state == .rejected }.map(\.stagePath).sorted()
            #expect(rejected == ["dangling.csv", "link.csv", "linkdir", "loop.csv", "pipe.csv", "sock.csv"])
            try await harness.waitForLog("not a regular file (a symlink, FIFO, socket or device)")
            // The symlinked directory is not followed (it is rejected as a symlink): nothing from outside the
            // watched tree is sent.
            #expect(try await records(harness).contains { $0.stagePath.hasPrefix("linkdir/") } == false)
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aFileTheServiceUserCannotReadIsRejectedWithTheFix() async throws {
        guard await ChildProcess.canRunSnowpiped(asUser: 65534) else {
            print("SKIP aFileTheServiceUserCannotRead…: needs root, and the build reachable by uid 65534")
            return
        }
        let harness = try DaemonHarness()
        let nobody: UInt32 = 65534
        try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            try harness.configure(port: port(of: base))
            // The daemon runs as an unprivileged service user: it owns its key and state directory.
            chmod(harness.root.path, 0o755)
            chmod(harness.configPath, 0o644)
            chown(harness.root.path + "/key.p8", nobody, nobody)
            try FileManager.default.createDirectory(atPath: harness.stateDirectory, withIntermediateDirectories: true)
            chown(harness.stateDirectory, nobody, nobody)
            chmod(harness.drop, 0o777)
            harness.dropCSV("secret.csv", firstID: 1, rows: 1)
            chmod(harness.drop + "/secret.csv", 0o000)
            harness.dropCSV("open.csv", firstID: 2, rows: 1)
            chmod(harness.drop + "/open.csv", 0o644)
            try await harness.startAndWaitUntilReady(user: nobody)
            try await DaemonHarness.waitUntil("both files end") {
                let counts = try await states(harness)
                return counts["LOADED"] == 1 && counts["REJECTED"] == 1
            }
            try await harness.waitForLog(
                "REJECTED secret.csv for DB.S.CSV_PIPE: not readable by the service user (Permission denied): fix its "
                    + "permissions")
            try await expectExactlyOnce(harness, files: ["open.csv": 2..<3])
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aWatchedDirectoryReplacedByASymlinkIsWatchedThroughIt() async throws {
        try await DaemonHarness.withDaemon { harness in
            harness.dropCSV("before.csv", firstID: 1, rows: 1, renameIn: true)
            try await DaemonHarness.waitUntil("before.csv is LOADED") { try await states(harness)["LOADED"] == 1 }
            // The stage directory moves away and the watched path becomes a symlink to it.
            let real = harness.root.path + "/real-stage"
            #expect(rename(harness.drop, real) == 0)
            try FileManager.default.createSymbolicLink(atPath: harness.drop, withDestinationPath: real)
            try await harness.waitForLog("watching \(harness.drop) again")
            harness.dropCSV("after.csv", firstID: 2, rows: 1, renameIn: true)
            try await DaemonHarness.waitUntil("after.csv is LOADED") { try await states(harness)["LOADED"] == 2 }
            try await expectExactlyOnce(harness, files: ["before.csv": 1..<2, "after.csv": 2..<3])
            #expect(await harness.stop() == 0)
        }
    }

    @Test func malformedAndHTMLAnswersAreRetriedAndNothingIsLostOrDoubled() async throws {
        try await DaemonHarness.withDaemon(
            .init(prepare: { harness in
                await harness.fixture.emulator.setFaults(
                    FaultPlan(script: [.malformed, Fault(malformedBody: true, afterProcessing: true), .status(502)]),
                    for: .insertFiles)
                await harness.fixture.emulator.setFaults(
                    FaultPlan(script: [.malformed, .status(503)]), for: .insertReport)
            })
        ) { harness in
            harness.dropCSV("a.csv", firstID: 1, rows: 2, renameIn: true)
            try await DaemonHarness.waitUntil("a.csv is LOADED", timeout: .seconds(90)) {
                try await states(harness)["LOADED"] == 1
            }
            try await expectExactlyOnce(harness, files: ["a.csv": 1..<3])
            #expect(harness.isRunning)
            #expect(await harness.stop() == 0)
            expectNoSecrets(harness.log, "the daemon log")
        }
    }

    @Test func truncatedAnswersAndAServerThatNeverAnswersAreRetriedWithoutLossOrDoubles() async throws {
        // Answers cut in half, and answers that do not come within the 1 s request timeout (each request was
        // processed: the retry repeats a request that took effect).
        let faults = DaemonHarness.Setup(prepare: { harness in
            await harness.fixture.emulator.setFaults(
                FaultPlan(script: [Fault(truncatedBody: true), Fault(delayMs: 4000), Fault(delayMs: 4000)]),
                for: .insertFiles)
            await harness.fixture.emulator.setFaults(
                FaultPlan(script: [Fault(truncatedBody: true), Fault(delayMs: 4000)]), for: .insertReport)
        })
        try await DaemonHarness.withDaemon(faults, requestTimeoutSeconds: 1) { harness in
            harness.dropCSV("slow.csv", firstID: 1, rows: 3, renameIn: true)
            try await DaemonHarness.waitUntil("slow.csv is LOADED", timeout: .seconds(90)) {
                try await states(harness)["LOADED"] == 1
            }
            try await expectExactlyOnce(harness, files: ["slow.csv": 1..<4])
            #expect(await harness.fixture.emulator.receivedPaths(pipe: "DB.S.CSV_PIPE")["slow.csv", default: 0] >= 2)
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aFullOutboxFilesystemIsReportedAndRecoveredFromWithoutLoss() async throws {
        let harness = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: harness.stateDirectory, withIntermediateDirectories: true)
        let mount = try await ChildProcess.run(
            "/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", harness.stateDirectory])
        guard mount.status == 0 else {
            print("SKIP aFullOutboxFilesystem…: cannot mount a tmpfs here (\(mount.output)); needs root")
            return
        }
        defer { _ = umount2(harness.stateDirectory, Int32(MNT_DETACH)) }
        try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            try harness.configure(port: port(of: base))
            try await harness.startAndWaitUntilReady()
            harness.dropCSV("first.csv", firstID: 1, rows: 1, renameIn: true)
            try await DaemonHarness.waitUntil("first.csv is LOADED") { try await states(harness)["LOADED"] == 1 }
            // Fill the filesystem, then drop files: the outbox cannot grow.
            let filler = harness.stateDirectory + "/filler"
            let fd = open(filler, O_WRONLY | O_CREAT, 0o600)
            let chunk = [UInt8](repeating: 7, count: 64 * 1024)
            while write(fd, chunk, chunk.count) > 0 {}
            close(fd)
            var expected: [String: Range<Int>] = ["first.csv": 1..<2]
            for index in 0..<30 {
                harness.dropCSV("full/f\(index).csv", firstID: 100 + index, rows: 1, renameIn: true)
                expected["full/f\(index).csv"] = (100 + index)..<(101 + index)
            }
            try await harness.waitForLog("cannot record discovered files in the outbox")
            #expect(harness.isRunning)
            unlink(filler)
            try await DaemonHarness.waitUntil("every file is LOADED after space returns", timeout: .seconds(90)) {
                try await states(harness)["LOADED"] == expected.count
            }
            try await expectExactlyOnce(harness, files: expected)
            #expect(await harness.stop() == 0)
        }
    }
}
