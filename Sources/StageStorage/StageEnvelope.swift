import COpenSSL
import Foundation
import OpenSSLSupport

/// The per-query key a Snowflake `PUT` hands out for a client-side encrypted (SNOWFLAKE_FULL) stage.
public struct StageEncryptionMaterial: Sendable, Equatable, CustomStringConvertible {
    /// The decoded `queryStageMasterKey`: 16 or 32 bytes.
    public var masterKey: [UInt8]
    public var queryID: String
    public var smkID: Int64

    public init(masterKey: [UInt8], queryID: String, smkID: Int64) {
        self.masterKey = masterKey
        self.queryID = queryID
        self.smkID = smkID
    }

    public var description: String { "StageEncryptionMaterial(query \(queryID), smk \(smkID), key redacted)" }
}

/// Why encryption or decryption failed.
public struct StageEnvelopeError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Snowflake's client-side encryption of staged files, the AWS S3 encryption client's V1 envelope
/// (reference/internal-stage-notes.md §3): a random file key as long as the master key; the file AES-CBC with
/// PKCS#7 padding under a random 16-byte IV; the file key wrapped with AES-ECB (PKCS#7) under the master key.
/// The three values travel as S3 metadata (`x-amz-key`, `x-amz-iv`, `x-amz-matdesc`).
public enum StageEnvelope {
    /// S3 metadata names (sent as `x-amz-meta-<name>`).
    public static let keyMetadata = "x-amz-key"
    public static let ivMetadata = "x-amz-iv"
    public static let matdescMetadata = "x-amz-matdesc"

    /// `plaintext` encrypted under a fresh file key, with the metadata that lets the holder of the master key
    /// decrypt it.
    public static func encrypt(_ plaintext: [UInt8], material: StageEncryptionMaterial) throws(StageEnvelopeError)
        -> (ciphertext: [UInt8], metadata: [String: String])
    {
        let encryptor = try Encryptor(material: material)
        var ciphertext = try encryptor.update(plaintext)
        ciphertext += try encryptor.finish()
        return (ciphertext, encryptor.metadata)
    }

    /// The ciphertext's length for `plaintextSize` bytes: PKCS#7 always adds 1 to 16 bytes.
    public static func ciphertextSize(_ plaintextSize: Int64) -> Int64 { plaintextSize + 16 - plaintextSize % 16 }

    /// One file encrypted in pieces (a multipart upload read part by part): a fresh file key and IV, the metadata
    /// for them, and one AES-CBC pass whose pieces concatenate to what `encrypt` would produce with that key.
    /// One owner at a time.
    public final class Encryptor {
        /// The envelope's S3 metadata (`x-amz-key`, `x-amz-iv`, `x-amz-matdesc`).
        public let metadata: [String: String]
        private let context: OpaquePointer

        public init(material: StageEncryptionMaterial) throws(StageEnvelopeError) {
            let fileKey = try random(material.masterKey.count)
            let iv = try random(16)
            let wrapped = try cipher(
                ecb(material.masterKey.count), key: material.masterKey, iv: nil, fileKey, encrypt: true)
            let queryID = String(
                decoding: (try? JSONEncoder().encode(material.queryID)) ?? Data("\"\"".utf8), as: UTF8.self)
            let matdesc =
                "{\"queryId\":\(queryID),\"smkId\":\"\(material.smkID)\",\"keySize\":\"\(material.masterKey.count * 8)\"}"
            metadata = [
                keyMetadata: Data(wrapped).base64EncodedString(), ivMetadata: Data(iv).base64EncodedString(),
                matdescMetadata: matdesc,
            ]
            let type = try cbc(material.masterKey.count)
            guard let context = EVP_CIPHER_CTX_new() else { throw StageEnvelopeError("EVP_CIPHER_CTX_new failed") }
            guard EVP_CipherInit_ex(context, type, nil, fileKey, iv, 1) == 1 else {
                EVP_CIPHER_CTX_free(context)
                throw StageEnvelopeError("cipher set-up failed: \(OpenSSLErrorQueue.summary())")
            }
            self.context = context
        }

        deinit { EVP_CIPHER_CTX_free(context) }

        /// The ciphertext of `plaintext` that is complete so far (whole blocks; a block-aligned piece comes back
        /// at its own length).
        public func update(_ plaintext: UnsafeRawBufferPointer) throws(StageEnvelopeError) -> [UInt8] {
            var output = [UInt8](repeating: 0, count: plaintext.count + 16)
            var written: Int32 = 0
            let updated = EVP_CipherUpdate(
                context, &output, &written, plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self),
                Int32(plaintext.count))
            guard updated == 1 else { throw StageEnvelopeError("cipher failed: \(OpenSSLErrorQueue.summary())") }
            output.removeLast(output.count - Int(written))
            return output
        }

        /// `update` of an array's bytes.
        public func update(_ plaintext: [UInt8]) throws(StageEnvelopeError) -> [UInt8] {
            let result = plaintext.withUnsafeBytes { bytes in
                Result { () throws(StageEnvelopeError) -> [UInt8] in try update(bytes) }
            }
            return try result.get()
        }

        /// The last block, padded; the encryptor is spent.
        public func finish() throws(StageEnvelopeError) -> [UInt8] {
            var output = [UInt8](repeating: 0, count: 32)
            var written: Int32 = 0
            guard EVP_CipherFinal_ex(context, &output, &written) == 1 else {
                throw StageEnvelopeError("cipher failed: \(OpenSSLErrorQueue.summary())")
            }
            return Array(output.prefix(Int(written)))
        }
    }

    /// Decrypts what `encrypt` (or a Snowflake driver) produced, given the object's metadata.
    public static func decrypt(_ ciphertext: [UInt8], metadata: [String: String], masterKey: [UInt8])
        throws(StageEnvelopeError) -> [UInt8]
    {
        guard let wrappedText = metadata[keyMetadata], let wrapped = Data(base64Encoded: wrappedText),
            let ivText = metadata[ivMetadata], let iv = Data(base64Encoded: ivText), iv.count == 16
        else {
            throw StageEnvelopeError("the object lacks a valid \(keyMetadata) or \(ivMetadata) metadata value")
        }
        let fileKey = try cipher(ecb(masterKey.count), key: masterKey, iv: nil, Array(wrapped), encrypt: false)
        guard fileKey.count == masterKey.count else {
            throw StageEnvelopeError("the unwrapped file key has \(fileKey.count) bytes, not \(masterKey.count)")
        }
        return try cipher(cbc(fileKey.count), key: fileKey, iv: Array(iv), ciphertext, encrypt: false)
    }

    static func cbc(_ keyLength: Int) throws(StageEnvelopeError) -> OpaquePointer {
        switch keyLength {
        case 16: return EVP_aes_128_cbc()
        case 24: return EVP_aes_192_cbc()
        case 32: return EVP_aes_256_cbc()
        default: throw StageEnvelopeError("a stage master key must be 16, 24 or 32 bytes, not \(keyLength)")
        }
    }

    static func ecb(_ keyLength: Int) throws(StageEnvelopeError) -> OpaquePointer {
        switch keyLength {
        case 16: return EVP_aes_128_ecb()
        case 24: return EVP_aes_192_ecb()
        case 32: return EVP_aes_256_ecb()
        default: throw StageEnvelopeError("a stage master key must be 16, 24 or 32 bytes, not \(keyLength)")
        }
    }

    /// One EVP pass with PKCS#7 padding (OpenSSL's default).
    static func cipher(_ type: OpaquePointer, key: [UInt8], iv: [UInt8]?, _ input: [UInt8], encrypt: Bool)
        throws(StageEnvelopeError) -> [UInt8]
    {
        guard let context = EVP_CIPHER_CTX_new() else { throw StageEnvelopeError("EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(context) }
        guard EVP_CipherInit_ex(context, type, nil, key, iv, encrypt ? 1 : 0) == 1 else {
            throw StageEnvelopeError("cipher set-up failed: \(OpenSSLErrorQueue.summary())")
        }
        var output = [UInt8](repeating: 0, count: input.count + 32)
        var written: Int32 = 0
        var total = 0
        let updated = input.withUnsafeBufferPointer { source in
            EVP_CipherUpdate(context, &output, &written, source.baseAddress, Int32(source.count))
        }
        guard updated == 1 else { throw StageEnvelopeError("cipher failed: \(OpenSSLErrorQueue.summary())") }
        total = Int(written)
        let finished = output.withUnsafeMutableBufferPointer { buffer in
            EVP_CipherFinal_ex(context, buffer.baseAddress! + total, &written)
        }
        guard finished == 1 else {
            throw StageEnvelopeError(
                encrypt ? "cipher failed: \(OpenSSLErrorQueue.summary())" : "wrong key or corrupted data (bad padding)")
        }
        total += Int(written)
        return Array(output.prefix(total))
    }

    static func random(_ count: Int) throws(StageEnvelopeError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw StageEnvelopeError("RAND_bytes failed") }
        return bytes
    }
}
