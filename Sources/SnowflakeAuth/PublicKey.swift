import COpenSSL
import Foundation

/// An RSA public key: what Snowflake stores as a user's `RSA_PUBLIC_KEY`, used to verify RS256 JWTs.
/// Immutable after init; EVP_PKEY verification is thread-safe, hence `@unchecked Sendable`.
public final class PublicKey: @unchecked Sendable {
    let pkey: OpaquePointer

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// Parses a DER X.509 SubjectPublicKeyInfo.
    public init(der: [UInt8]) throws(KeyError) {
        _ = OpenSSLErrorQueue.drain()
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let parsed else { throw .malformedPublicKey(detail: OpenSSLErrorQueue.summary()) }
        guard EVP_PKEY_is_a(parsed, "RSA") == 1 else {
            EVP_PKEY_free(parsed)
            throw .malformedPublicKey(detail: "not an RSA key")
        }
        pkey = parsed
    }

    /// Parses a PEM `BEGIN PUBLIC KEY` block, or the bare base64 body Snowflake's `ALTER USER ... SET
    /// RSA_PUBLIC_KEY='MIIB...'` takes.
    public convenience init(pemOrBase64 text: String) throws(KeyError) {
        let body = text.split(whereSeparator: \.isNewline)
            .filter { $0.hasPrefix("-----") == false }
            .joined()
            .filter { $0.isWhitespace == false }
        guard let data = Data(base64Encoded: body), data.isEmpty == false else {
            throw .malformedPublicKey(detail: "the key text is not base64 or PEM")
        }
        try self.init(der: [UInt8](data))
    }

    /// The DER SubjectPublicKeyInfo.
    public var der: [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PUBKEY(pkey, &out)
        precondition(length > 0 && out != nil, "i2d_PUBKEY failed: \(OpenSSLErrorQueue.summary())")
        defer { snowpiped_openssl_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// `SHA256:<base64 of sha256(DER SubjectPublicKeyInfo)>`, the form Snowflake puts in `iss`.
    public var fingerprint: String {
        "SHA256:" + Data(SHA256Digest.hash(der)).base64EncodedString()
    }

    /// The PEM `BEGIN PUBLIC KEY` text.
    public var pem: String {
        let body = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN PUBLIC KEY-----\n\(body)\n-----END PUBLIC KEY-----\n"
    }

    /// The single-line base64 DER body, as pasted into `ALTER USER ... SET RSA_PUBLIC_KEY='...'`.
    public var base64DER: String { Data(der).base64EncodedString() }

    /// Verifies an RS256 signature over `message`; false for a bad signature or any parse failure.
    public func verifyRS256(message: [UInt8], signature: [UInt8]) -> Bool {
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, EVP_sha256(), nil, pkey) == 1 else {
            _ = OpenSSLErrorQueue.drain()
            return false
        }
        let result = message.withUnsafeBytes { raw in
            signature.withUnsafeBufferPointer { sig in
                EVP_DigestVerify(ctx, sig.baseAddress, sig.count, raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
            }
        }
        _ = OpenSSLErrorQueue.drain()
        return result == 1
    }
}
