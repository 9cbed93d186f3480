import COpenSSL
import Foundation

/// An RSA private key held by OpenSSL.
///
/// Loaded from PEM in any of the forms Snowflake users have: PKCS#8 (`BEGIN PRIVATE KEY`), encrypted PKCS#8
/// (`BEGIN ENCRYPTED PRIVATE KEY`, as `openssl pkcs8 -topk8 -v2 aes256` writes) and PKCS#1
/// (`BEGIN RSA PRIVATE KEY`). The key is immutable after init and OpenSSL's EVP_PKEY is safe for concurrent
/// signing, hence `@unchecked Sendable`.
public final class PrivateKey: @unchecked Sendable {
    let pkey: OpaquePointer

    init(taking pkey: OpaquePointer) {
        self.pkey = pkey
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// Parses a PEM private key. `source` names the key in errors (a path, or "inline key").
    /// - Throws: `KeyError` with a specific case for a missing passphrase, a wrong one, a non-RSA key, or a
    ///   malformed/truncated file.
    public convenience init(pem: String, passphrase: String? = nil, source: String = "inline key") throws(KeyError) {
        let encrypted = pem.contains("BEGIN ENCRYPTED PRIVATE KEY") || pem.contains("Proc-Type: 4,ENCRYPTED")
        if encrypted, passphrase == nil || passphrase == "" {
            throw .passphraseRequired(path: source)
        }
        guard pem.contains("-----BEGIN") else {
            throw .malformed(path: source, detail: "no PEM header (-----BEGIN ... PRIVATE KEY-----) found")
        }
        _ = OpenSSLErrorQueue.drain()
        // BIO_new_mem_buf does not copy: the bytes must stay alive while the BIO is read.
        let bytes = Array(pem.utf8)
        var pass = Array((passphrase ?? "").utf8CString)
        defer { pass.withUnsafeMutableBufferPointer { buffer in for i in buffer.indices { buffer[i] = 0 } } }
        let key: OpaquePointer? = bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return pass.withUnsafeMutableBytes { passBytes in
                PEM_read_bio_PrivateKey(
                    bio, nil, snowpiped_pem_password_cb, passphrase == nil ? nil : passBytes.baseAddress)
            }
        }
        guard let key else {
            let entries = OpenSSLErrorQueue.drain()
            let texts = entries.map(\.text).joined(separator: "; ")
            if encrypted, texts.contains("bad decrypt") || texts.contains("decrypt") || texts.contains("unsupported") {
                throw .wrongPassphrase(path: source)
            }
            throw .malformed(path: source, detail: Self.describe(entries: entries))
        }
        guard EVP_PKEY_is_a(key, "RSA") == 1 else {
            let name = EVP_PKEY_get0_type_name(key).map { String(cString: $0) } ?? "non-RSA"
            EVP_PKEY_free(key)
            throw .notRSA(path: source, algorithm: name)
        }
        self.init(taking: key)
    }

    /// The shortest RSA key Snowflake accepts for key-pair authentication.
    public static let minimumBits = 2048

    /// Reads and parses a key file, refusing one that group or others can read and one shorter than
    /// `minimumBits`.
    /// - Parameter checkPermissions: false only for tests and tools that handle throwaway keys.
    public static func load(
        path: String,
        passphrase: String?,
        checkPermissions: Bool = true
    ) throws(KeyError) -> PrivateKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .unreadable(path: path, reason: "not a regular file")
        }
        if checkPermissions, info.st_mode & 0o077 != 0 {
            throw .permissionsTooOpen(path: path, mode: UInt32(info.st_mode))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "permission denied or I/O error")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .malformed(path: path, detail: "the file is not text (is it a DER file? convert it to PEM)")
        }
        let key = try PrivateKey(pem: text, passphrase: passphrase, source: path)
        guard key.bits >= minimumBits else { throw .tooShort(path: path, bits: key.bits) }
        return key
    }

    /// The DER encoding of the public half as an X.509 SubjectPublicKeyInfo.
    public var publicKeyDER: [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PUBKEY(pkey, &out)
        precondition(length > 0 && out != nil, "i2d_PUBKEY failed: \(OpenSSLErrorQueue.summary())")
        defer { snowpiped_openssl_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// The public half, for verification.
    public var publicKey: PublicKey {
        // Re-parse from DER: an independent EVP_PKEY with no private material.
        try! PublicKey(der: publicKeyDER)
    }

    /// `SHA256:<base64 of sha256(DER SubjectPublicKeyInfo)>`, as Snowflake shows in `RSA_PUBLIC_KEY_FP`.
    public var fingerprint: String { publicKey.fingerprint }

    /// Size of the modulus in bits.
    public var bits: Int { Int(EVP_PKEY_get_bits(pkey)) }

    /// RSASSA-PKCS1-v1_5 with SHA-256 (JWT "RS256") over `message`.
    public func signRS256(_ message: [UInt8]) throws(KeyError) -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else {
            throw .cryptoFailure(operation: "allocate a digest context", detail: "out of memory")
        }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, pkey) == 1 else {
            throw .cryptoFailure(operation: "start RS256 signing", detail: OpenSSLErrorQueue.summary())
        }
        var length = 0
        let sized = message.withUnsafeBytes { raw in
            EVP_DigestSign(ctx, nil, &length, raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
        }
        guard sized == 1 else {
            throw .cryptoFailure(operation: "size an RS256 signature", detail: OpenSSLErrorQueue.summary())
        }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = message.withUnsafeBytes { raw in
            EVP_DigestSign(ctx, &signature, &length, raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
        }
        guard signed == 1 else {
            throw .cryptoFailure(operation: "compute an RS256 signature", detail: OpenSSLErrorQueue.summary())
        }
        return Array(signature.prefix(length))
    }

    private static func describe(entries: [OpenSSLErrorQueue.Entry]) -> String {
        let texts = entries.map(\.text)
        if texts.isEmpty { return "OpenSSL found no key in it" }
        if texts.contains(where: { $0.contains("no start line") }) { return "no PEM private key block found" }
        if texts.contains(where: { $0.contains("bad end line") || $0.contains("BIO") }) {
            return "the PEM block is cut short (truncated file?)"
        }
        return texts.joined(separator: "; ")
    }
}
