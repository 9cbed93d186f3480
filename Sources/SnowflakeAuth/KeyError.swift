/// Why a key could not be used. Every message names the file and says what to do; none contains key material
/// or a passphrase.
public enum KeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The key file could not be read (missing, no permission, a directory).
    case unreadable(path: String, reason: String)
    /// The key file is readable by group or others; like ssh, we refuse to use it.
    case permissionsTooOpen(path: String, mode: UInt32)
    /// The key is encrypted and no passphrase was supplied.
    case passphraseRequired(path: String)
    /// The passphrase does not decrypt the key.
    case wrongPassphrase(path: String)
    /// The file holds a key, but not an RSA key (Snowflake key-pair authentication needs RSA).
    case notRSA(path: String, algorithm: String)
    /// The RSA key is shorter than Snowflake accepts (2048 bits).
    case tooShort(path: String, bits: Int)
    /// The file is not a PEM private key, or it is cut short.
    case malformed(path: String, detail: String)
    /// A public key (PEM or base64 DER) could not be parsed.
    case malformedPublicKey(detail: String)
    /// OpenSSL failed while signing, generating or encoding.
    case cryptoFailure(operation: String, detail: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read private key file \(path): \(reason)"
        case .permissionsTooOpen(let path, let mode):
            let octal = String(mode & 0o777, radix: 8)
            return
                "private key file \(path) is accessible by group or others (mode \(octal)); "
                + "a private key must be private: run `chmod 600 \(path)` (and make the service user its owner)"
        case .passphraseRequired(let path):
            return
                "private key file \(path) is encrypted but no passphrase was given; "
                + "set `snowflake.private_key_passphrase` to `credential: NAME` (a systemd credential), "
                + "`file: PATH` or `env: VARIABLE` in the configuration"
        case .wrongPassphrase(let path):
            return "the passphrase does not decrypt private key file \(path); check the passphrase source"
        case .notRSA(let path, let algorithm):
            return
                "private key file \(path) holds a \(algorithm) key; Snowflake key-pair authentication needs an RSA key "
                + "(create one with `snowpiped keygen`)"
        case .tooShort(let path, let bits):
            return
                "private key file \(path) holds a \(bits)-bit RSA key; Snowflake requires at least "
                + "\(PrivateKey.minimumBits) bits: create a new key with `snowpiped keygen` and register it"
        case .malformed(let path, let detail):
            return
                "private key file \(path) is not a valid PEM private key (PKCS#8, encrypted PKCS#8 or PKCS#1): \(detail); "
                + "check that the file is complete"
        case .malformedPublicKey(let detail):
            return "not a valid RSA public key (PEM or base64 DER): \(detail)"
        case .cryptoFailure(let operation, let detail):
            return "OpenSSL failed to \(operation): \(detail)"
        }
    }
}
