import Foundation
import SnowpipeAPI
import SnowpipeHTTPClient

/// A real S3 for tests: `tests/fixtures/moto_stage.py` (moto in server mode on 127.0.0.1, signature and IAM
/// checks on), started for the duration of `body` and stopped after it. Needs the project's venv (`make deps`).
public struct MotoS3: Sendable {
    /// A key pair as the fixture printed it.
    public struct Key: Sendable, Decodable {
        public var accessKeyID: String
        public var secretAccessKey: String
        public var sessionToken: String?
    }

    public var endpoint: String
    public var region: String
    public var bucket: String
    /// The role limited to the bucket (STS AssumeRole mints `temporary`-like credentials for it).
    public var roleARN: String
    /// An IAM user with full access.
    public var admin: Key
    /// STS credentials of a role limited to the bucket, as a Snowflake PUT hands out.
    public var temporary: Key

    /// One object request as the fault middleware saw it.
    public struct Logged: Sendable, Decodable {
        public var method: String
        public var path: String
        public var query: String
        public var fault: String?
    }

    /// Sets the fault plan (see tests/fixtures/moto_stage.py): scripted faults first, then random ones.
    public func setFaults(
        script: [(method: String, kind: String)] = [], probability: Double = 0, kinds: [String] = [], seed: Int = 1
    ) async throws {
        let body: [String: Any] = [
            "script": script.map { ["method": $0.method, "kind": $0.kind] }, "probability": probability,
            "kinds": kinds, "seed": seed,
        ]
        _ = try await fetch("POST", "/_faults", body: try JSONSerialization.data(withJSONObject: body))
    }

    /// Every object request so far.
    public func requestLog() async throws -> [Logged] {
        let data = try await fetch("GET", "/_log")
        return try JSONDecoder().decode([Logged].self, from: data)
    }

    /// One exchange with the fixture's control endpoints (plain HTTP on loopback, no signature), over the
    /// project's own transport; the body of a 200.
    func fetch(_ method: String, _ path: String, body: Data = Data()) async throws -> Data {
        let response = try await AsyncHTTPTransport.shared.send(
            HTTPRequestData(
                method: method, url: endpoint + path, headers: [("Content-Type", "application/json")],
                body: [UInt8](body)))
        guard response.status == 200 else {
            throw MotoError("the moto fixture answered \(method) \(path) with HTTP \(response.status)")
        }
        return Data(response.body)
    }

    /// The port of `endpoint`.
    public var port: Int { Int(endpoint.split(separator: ":").last ?? "") ?? 0 }

    struct Announcement: Decodable {
        var endpoint: String
        var region: String
        var bucket: String
        var roleARN: String
        var admin: Key
        var temporary: Key
    }

    /// Starts the fixture, runs `body`, stops the fixture (also when `body` throws).
    public static func withServer<T: Sendable>(_ body: @Sendable (MotoS3) async throws -> T) async throws -> T {
        let python = ChildProcess.repositoryRoot + "/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw MotoError(
                "no Python venv at \(python): run `make deps` (moto[server] comes from scripts/requirements.txt)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [ChildProcess.repositoryRoot + "/tests/fixtures/moto_stage.py"]
        let stdout = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            try? stdin.fileHandleForWriting.close()
            process.terminate()
            process.waitUntilExit()
        }
        let line = await Self.firstLine(stdout.fileHandleForReading)
        guard let line, let announcement = try? JSONDecoder().decode(Announcement.self, from: Data(line.utf8)) else {
            throw MotoError("the moto fixture did not start: \(line ?? "no output")")
        }
        let server = MotoS3(
            endpoint: announcement.endpoint, region: announcement.region, bucket: announcement.bucket,
            roleARN: announcement.roleARN, admin: announcement.admin, temporary: announcement.temporary)
        return try await body(server)
    }

    /// The first line a pipe carries, read on a GCD thread (blocking reads stay off the cooperative pool).
    static func firstLine(_ handle: FileHandle) async -> String? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                while true {
                    let chunk = handle.readData(ofLength: 1)
                    if chunk.isEmpty || chunk[chunk.startIndex] == UInt8(ascii: "\n") { break }
                    bytes.append(chunk[chunk.startIndex])
                }
                continuation.resume(returning: bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self))
            }
        }
    }
}

/// The moto fixture could not be used.
public struct MotoError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
