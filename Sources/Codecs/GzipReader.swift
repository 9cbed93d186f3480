import CZlib

/// gzip decompression fed in pieces (a file read block by block), concatenated members included, so a large file
/// is never held whole. One owner at a time; the `z_stream` lives at a fixed address.
public final class GzipReader {
    private let stream: UnsafeMutablePointer<z_stream>
    private var chunk = [UInt8](repeating: 0, count: 1 << 20)
    /// Between members: the last member ended and no byte of another has arrived.
    private var betweenMembers = false

    public init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        precondition(snowpiped_inflate_init2(stream, 15 + 32) == Z_OK, "inflateInit2 failed")
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Decompresses `input`, appending what it yields to `output`.
    /// - Throws: `Gzip.Failure` for a corrupt stream.
    public func append(_ input: UnsafeRawBufferPointer, to output: inout [UInt8]) throws(Gzip.Failure) {
        guard input.isEmpty == false else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        while stream.pointee.avail_in > 0 {
            if betweenMembers {
                // Another member follows the one that ended.
                guard inflateReset(stream) == Z_OK else { throw Gzip.Failure(message: "the gzip stream is corrupt") }
                betweenMembers = false
            }
            let result: Int32 = chunk.withUnsafeMutableBufferPointer { buffer in
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = UInt32(buffer.count)
                return inflate(stream, Z_NO_FLUSH)
            }
            let produced = chunk.count - Int(stream.pointee.avail_out)
            output.append(contentsOf: chunk[0..<produced])
            switch result {
            case Z_STREAM_END: betweenMembers = true
            case Z_OK: continue
            case Z_BUF_ERROR where produced > 0: continue
            default: throw Gzip.Failure(message: "the gzip stream is corrupt")
            }
        }
    }

    /// `append` of an array's bytes.
    public func append(_ input: [UInt8], to output: inout [UInt8]) throws(Gzip.Failure) {
        var failure: Gzip.Failure?
        input.withUnsafeBytes { bytes in
            do throws(Gzip.Failure) {
                try append(bytes, to: &output)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// The input ended: throws unless it ended at the end of a member.
    public func finish() throws(Gzip.Failure) {
        guard betweenMembers else { throw Gzip.Failure(message: "the gzip stream is corrupt or truncated") }
    }
}
