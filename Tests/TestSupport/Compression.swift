import Codecs
import Foundation

/// Compressors for request bodies in tests: gzip through `/bin/gzip` (always on Debian), zstd through libzstd.
public enum Compression {
    /// `bytes` as one zstd frame.
    public static func zstd(_ bytes: [UInt8], level: Int32 = 3) -> [UInt8] { Zstd.compress(bytes, level: level) }

    /// `bytes` as a gzip stream.
    public static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("gzip-\(UUID().uuidString)")
        try Data(bytes).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-c", "-n", input.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return [UInt8](data)
    }
}
