import Foundation

/// Runs a program to completion and captures its output (for tests of the real binaries).
public struct ChildProcess: Sendable {
    /// Exit status and the captured streams.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// stdout and stderr together, for messages that may go to either.
        public var output: String { stdout + stderr }
    }

    /// The directory holding this build's products (`snowpiped`, `snowpipe-emulator`), next to the test binary.
    public static var binDirectory: String {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return (executable as NSString).deletingLastPathComponent
    }

    /// The repository's root directory (for scripts and the Python venv).
    public static let repositoryRoot: String = {
        var path = #filePath
        for _ in 0..<3 { path = (path as NSString).deletingLastPathComponent }
        return path
    }()

    /// Path of a product of this build.
    public static func product(_ name: String) -> String { binDirectory + "/" + name }

    /// Reads a pipe to its end on a GCD thread: blocking a cooperative thread (there are only as many as cores)
    /// would starve in-process servers the child talks to.
    static func readToEnd(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
    }

    /// True when this process is root and user `uid` can run the built `snowpiped` (the build directory may sit
    /// under a directory other users cannot enter, e.g. /root): tests that run it as another user need both.
    public static func canRunSnowpiped(asUser uid: UInt32) async -> Bool {
        guard getuid() == 0 else { return false }
        let result = try? await run(
            "/usr/bin/setpriv",
            ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--", product("snowpiped"), "--help"])
        return result?.status == 0
    }

    /// Runs `executable` with `arguments`; waits (without blocking a cooperative thread) for it to exit.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, input: String? = nil
    ) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = Pipe()
        process.standardInput = stdin
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished in
            exited.continuation.yield(finished.terminationStatus)
            exited.continuation.finish()
        }
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try? stdin.fileHandleForWriting.close()
        async let stdoutData = readToEnd(out.fileHandleForReading)
        async let stderrData = readToEnd(err.fileHandleForReading)
        let (outData, errData) = await (stdoutData, stderrData)
        var iterator = exited.stream.makeAsyncIterator()
        let status = await iterator.next() ?? -1
        return Result(
            status: status, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}
