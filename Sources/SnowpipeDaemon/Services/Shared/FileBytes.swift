import Glibc

/// Whole reads and writes on a descriptor: `pread` and `write` retried on EINTR and short counts.
enum FileBytes {
    /// `count` bytes read at `offset` (pread, retried on EINTR), or nil: errno is set, or 0 at an early end of file.
    static func read(_ descriptor: Int32, at offset: Int64, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled))
            }
            if got < 0, errno == EINTR { continue }
            if got <= 0 {
                if got == 0 { errno = 0 }
                return nil
            }
            filled += got
        }
        return bytes
    }

    /// All of `bytes` written; false with errno set when they cannot be.
    static func write(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                Glibc.write(descriptor, buffer.baseAddress! + sent, bytes.count - sent)
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }
}
