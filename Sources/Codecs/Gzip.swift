import CZlib

/// gzip through the system zlib.
public enum Gzip {
    /// Why a gzip stream could not be read.
    public struct Failure: Error, Sendable {
        /// What is wrong, in words.
        public let message: String
    }

    /// True when `bytes` start with the gzip magic number.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Decompresses a gzip stream (concatenated members included).
    /// - Throws: `Failure` for corrupt or truncated input.
    public static func decompress(_ input: [UInt8]) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard snowpiped_inflate_init2(&stream, 15 + 32) == Z_OK else {
            throw Failure(message: "cannot initialise gzip decompression")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 4)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var input = input
        let status: Int32 = input.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            while true {
                let result: Int32 = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(outBuffer.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                output.append(contentsOf: chunk[0..<produced])
                if result == Z_STREAM_END {
                    if stream.avail_in == 0 { return Z_STREAM_END }
                    // Another gzip member follows.
                    guard inflateReset(&stream) == Z_OK else { return Z_DATA_ERROR }
                    continue
                }
                if result != Z_OK { return result }
                if stream.avail_in == 0 && produced == 0 { return Z_BUF_ERROR }
            }
        }
        guard status == Z_STREAM_END else {
            throw Failure(message: "the gzip stream is corrupt or truncated")
        }
        return output
    }

    /// `input` as one gzip member with a header that depends on nothing else (MTIME 0, no name), so the same
    /// bytes always compress to the same stream and its digest is stable across retries and restarts. The output
    /// grows in 1 MiB steps (not a worst-case buffer as large as the input).
    public static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8] {
        let writer = GzipWriter(level: level)
        var output: [UInt8] = []
        output.reserveCapacity(min(input.count / 2 + 1024, 1 << 20))
        input.withUnsafeBytes { writer.append($0, to: &output) }
        writer.finish(to: &output)
        return output
    }
}
