import CZlib

/// Deterministic gzip fed in pieces: the same header as `Gzip.compress` (MTIME 0, no name), and the same output
/// for the same bytes however they are split (deflate without flushes does not see the split), so a file
/// compressed through a spool file has the digest it would have had compressed in memory.
///
/// One owner at a time: not thread-safe. The `z_stream` lives at a fixed address (zlib keeps a pointer back to it).
public final class GzipWriter {
    private let stream: UnsafeMutablePointer<z_stream>
    private var chunk = [UInt8](repeating: 0, count: 1 << 20)

    /// A gzip member at `level` (zlib's 0 to 9).
    public init(level: Int32 = 6) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        precondition(snowpiped_deflate_init2(stream, level, 15 + 16) == Z_OK, "deflateInit2 failed")
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses `input`, appending what deflate emits so far to `output`.
    public func append(_ input: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        run(input, flush: Z_NO_FLUSH, into: &output)
    }

    /// Ends the member (the rest of the deflate stream, CRC and length), appending it to `output`.
    public func finish(to output: inout [UInt8]) {
        run(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH, into: &output)
    }

    private func run(_ input: UnsafeRawBufferPointer, flush: Int32, into output: inout [UInt8]) {
        // zlib declares `next_in` mutable but only reads it.
        stream.pointee.next_in = UnsafeMutablePointer(
            mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        while true {
            let result: Int32 = chunk.withUnsafeMutableBufferPointer { outBuffer in
                stream.pointee.next_out = outBuffer.baseAddress
                stream.pointee.avail_out = UInt32(outBuffer.count)
                return deflate(stream, flush)
            }
            let produced = chunk.count - Int(stream.pointee.avail_out)
            output.append(contentsOf: chunk[0..<produced])
            if result == Z_STREAM_END { return }
            precondition(result == Z_OK || result == Z_BUF_ERROR, "deflate failed (\(result))")
            // Without Z_FINISH, deflate is done with this input once it leaves room in the output.
            if flush == Z_NO_FLUSH && stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
        }
    }
}
