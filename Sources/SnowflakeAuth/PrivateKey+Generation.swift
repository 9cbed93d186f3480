import COpenSSL
import Foundation

extension PrivateKey {
    /// Generates a new RSA key (2048 bits is what Snowflake documents; 4096 also works).
    public static func generate(bits: Int = 2048) throws(KeyError) -> PrivateKey {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else {
            throw .cryptoFailure(operation: "create an RSA key context", detail: OpenSSLErrorQueue.summary())
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, Int32(bits)) == 1 else {
            throw .cryptoFailure(operation: "initialise RSA key generation", detail: OpenSSLErrorQueue.summary())
        }
        var key: OpaquePointer? = nil
        guard EVP_PKEY_generate(ctx, &key) == 1, let key else {
            throw .cryptoFailure(operation: "generate an RSA key", detail: OpenSSLErrorQueue.summary())
        }
        return PrivateKey(taking: key)
    }

    /// PEM of the private key: PKCS#8, encrypted with AES-256-CBC (PBES2) when a passphrase is given, exactly
    /// as `openssl pkcs8 -topk8 -v2 aes256` writes it.
    public func pkcs8PEM(passphrase: String? = nil) throws(KeyError) -> String {
        try writePEM { bio in
            if let passphrase {
                var pass = Array(passphrase.utf8CString)
                defer { pass.withUnsafeMutableBufferPointer { buffer in for i in buffer.indices { buffer[i] = 0 } } }
                return pass.withUnsafeMutableBufferPointer { buffer in
                    PEM_write_bio_PKCS8PrivateKey(
                        bio, pkey, EVP_aes_256_cbc(), buffer.baseAddress, Int32(buffer.count - 1), nil, nil)
                }
            }
            return PEM_write_bio_PrivateKey(bio, pkey, nil, nil, 0, nil, nil)
        }
    }

    /// PEM of the private key in the traditional PKCS#1 form (`BEGIN RSA PRIVATE KEY`).
    public func pkcs1PEM() throws(KeyError) -> String {
        try writePEM { bio in PEM_write_bio_PrivateKey_traditional(bio, pkey, nil, nil, 0, nil, nil) }
    }

    private func writePEM(_ write: (OpaquePointer) -> Int32) throws(KeyError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw .cryptoFailure(operation: "allocate a memory BIO", detail: "out of memory")
        }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else {
            throw .cryptoFailure(operation: "write a PEM key", detail: OpenSSLErrorQueue.summary())
        }
        var pointer: UnsafeMutablePointer<CChar>? = nil
        let length = snowpiped_bio_mem_data(bio, &pointer)
        guard length > 0, let pointer else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}
