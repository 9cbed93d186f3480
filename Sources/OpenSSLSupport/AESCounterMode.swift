import COpenSSL

/// AES in counter mode (no padding; encrypting and decrypting are the same operation), with a 16-, 24- or
/// 32-byte key and a 16-byte initial counter block.
///
/// The Snowpipe Streaming SDK's file mode (`encryption_version: "AES-CTR-128.1"`) encrypts each file it writes to
/// the pipe's stage this way, with the pipe's 32-byte key as given by `:pipe-info` and the fragment's
/// `iv_base64` as the counter block: "128" is the block and counter width, not the key size.
public enum AESCounterMode {
    /// Why the bytes could not be transformed.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// `bytes` encrypted, or decrypted, under `key` from the counter block `iv`.
    public static func apply(_ bytes: ArraySlice<UInt8>, key: [UInt8], iv: [UInt8]) throws(Failure) -> [UInt8] {
        let type: OpaquePointer
        switch key.count {
        case 16: type = EVP_aes_128_ctr()
        case 24: type = EVP_aes_192_ctr()
        case 32: type = EVP_aes_256_ctr()
        default: throw Failure(description: "an AES key has 16, 24 or 32 bytes, not \(key.count)")
        }
        guard iv.count == 16 else { throw Failure(description: "the counter block has \(iv.count) bytes, not 16") }
        guard let context = EVP_CIPHER_CTX_new() else { throw Failure(description: "EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(context) }
        guard EVP_CipherInit_ex(context, type, nil, key, iv, 1) == 1 else {
            throw Failure(description: "cipher set-up failed: \(OpenSSLErrorQueue.summary())")
        }
        var output = [UInt8](repeating: 0, count: bytes.count + 16)
        var written: Int32 = 0
        var total = 0
        // EVP lengths are Int32: transform at most 1 GiB a call.
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = min(start + (1 << 30), bytes.endIndex)
            let updated = bytes[start..<end].withUnsafeBufferPointer { source in
                output.withUnsafeMutableBufferPointer { target in
                    EVP_CipherUpdate(
                        context, target.baseAddress! + total, &written, source.baseAddress, Int32(source.count))
                }
            }
            guard updated == 1 else { throw Failure(description: "cipher failed: \(OpenSSLErrorQueue.summary())") }
            total += Int(written)
            start = end
        }
        return Array(output.prefix(total))
    }
}
