import CZstd

/// zstd compression and decompression through the system libzstd (streaming API: frames without a content size, as the
/// official streaming SDK sends them, and concatenated frames are both read).
public enum Zstd {
    /// Why a zstd stream could not be read.
    public struct Failure: Error, Sendable {
        /// libzstd's message, or ours for a truncated stream or one over the limit.
        public let message: String
        /// True when the stream decodes to more than the limit.
        public var exceededLimit = false
    }

    /// Decompresses `input`, refusing to produce more than `limit` bytes (a small bomb must not take the
    /// emulator's memory).
    /// - Throws: `Failure` for corrupt or truncated input, or output over `limit`.
    public static func decompress(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        guard let stream = ZSTD_createDStream() else { throw Failure(message: "cannot allocate a zstd stream") }
        defer { ZSTD_freeDStream(stream) }
        ZSTD_initDStream(stream)
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        var lastHint = 0
        let result: Failure? = input.withUnsafeBytes { source in
            var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
            while inBuffer.pos < inBuffer.size {
                let (hint, produced) = chunk.withUnsafeMutableBytes { destination in
                    var outBuffer = ZSTD_outBuffer(dst: destination.baseAddress, size: destination.count, pos: 0)
                    let hint = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
                    return (hint, outBuffer.pos)
                }
                if ZSTD_isError(hint) != 0 {
                    return Failure(message: String(cString: ZSTD_getErrorName(hint)))
                }
                output.append(contentsOf: chunk[0..<produced])
                if output.count > limit {
                    return Failure(message: "decompressed payload exceeds \(limit) bytes", exceededLimit: true)
                }
                lastHint = hint
                // All input read but the frame is not finished: drain what libzstd still holds.
                while inBuffer.pos == inBuffer.size && lastHint != 0 {
                    let (more, producedMore) = chunk.withUnsafeMutableBytes { destination in
                        var outBuffer = ZSTD_outBuffer(dst: destination.baseAddress, size: destination.count, pos: 0)
                        let hint = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
                        return (hint, outBuffer.pos)
                    }
                    if ZSTD_isError(more) != 0 { return Failure(message: String(cString: ZSTD_getErrorName(more))) }
                    if producedMore == 0 { break }
                    output.append(contentsOf: chunk[0..<producedMore])
                    if output.count > limit {
                        return Failure(message: "decompressed payload exceeds \(limit) bytes", exceededLimit: true)
                    }
                    lastHint = more
                }
            }
            return nil
        }
        if let result { throw result }
        guard lastHint == 0 else { throw Failure(message: "zstd stream is truncated") }
        return output
    }

    /// `bytes` as one zstd frame at `level` (1 is fast; Snowpipe Streaming bodies are NDJSON, which compresses
    /// well at any level).
    public static func compress(_ bytes: [UInt8], level: Int32 = 1) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let written = output.withUnsafeMutableBytes { destination in
            bytes.withUnsafeBytes { source in
                ZSTD_compress(destination.baseAddress, destination.count, source.baseAddress, source.count, level)
            }
        }
        // ZSTD_compress fails only for a destination smaller than ZSTD_compressBound, which this is not.
        precondition(ZSTD_isError(written) == 0, "zstd compression failed")
        return Array(output.prefix(written))
    }
}
