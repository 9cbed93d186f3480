import COpenSSL
import Foundation

/// SHA-256 through OpenSSL's EVP digest interface.
public enum SHA256Digest {
    /// The 32-byte SHA-256 of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] { evpDigest(bytes, EVP_sha256(), name: "SHA-256") }

    /// SHA-256 over bytes that arrive in pieces (a file read part by part). One owner at a time.
    public final class Hasher {
        private let context: OpaquePointer

        public init() {
            guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
                preconditionFailure("EVP_DigestInit_ex(SHA-256) failed: \(OpenSSLErrorQueue.summary())")
            }
            self.context = context
        }

        deinit { EVP_MD_CTX_free(context) }

        /// Adds `bytes` to what is hashed.
        public func update(_ bytes: UnsafeRawBufferPointer) {
            precondition(EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1, "EVP_DigestUpdate failed")
        }

        /// The 32-byte digest of everything added; the hasher is spent.
        public func finish() -> [UInt8] {
            var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            precondition(EVP_DigestFinal_ex(context, &output, &length) == 1, "EVP_DigestFinal_ex failed")
            return Array(output.prefix(Int(length)))
        }
    }
}

/// HMAC-SHA256 through OpenSSL (the one-shot `HMAC()`, not deprecated in OpenSSL 3).
public enum HMACSHA256 {
    /// The 32-byte HMAC-SHA256 of `message` under `key`.
    public static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { rawKey in
            message.withUnsafeBytes { rawMessage in
                HMAC(
                    EVP_sha256(), rawKey.baseAddress, Int32(rawKey.count),
                    rawMessage.bindMemory(to: UInt8.self).baseAddress, rawMessage.count, &output, &length)
            }
        }
        precondition(result != nil, "HMAC-SHA256 failed: \(OpenSSLErrorQueue.summary())")
        return Array(output.prefix(Int(length)))
    }
}

/// MD5 through OpenSSL, for S3's `Content-MD5` integrity header only (not for security).
public enum MD5Digest {
    /// The 16-byte MD5 of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] { evpDigest(bytes, EVP_md5(), name: "MD5") }
}

/// One `EVP_Digest` pass.
private func evpDigest(_ bytes: [UInt8], _ type: OpaquePointer?, name: String) -> [UInt8] {
    var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let ok = bytes.withUnsafeBytes { raw in EVP_Digest(raw.baseAddress, raw.count, &output, &length, type, nil) }
    precondition(ok == 1, "EVP_Digest(\(name)) failed: \(OpenSSLErrorQueue.summary())")
    return Array(output.prefix(Int(length)))
}
