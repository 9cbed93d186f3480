import ArgumentParser
import Foundation
import SnowflakeAuth
import SnowpipeDaemon

/// `snowpiped keygen`: writes a new RSA key pair for Snowflake key-pair authentication.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a new RSA key pair (private key 0600) and print the ALTER USER statement to register it."
    )

    @Option(name: .long, help: "Where to write the private key (PEM, PKCS#8); with --rotate, beside the current key.")
    var out: String?

    @Flag(
        name: .long,
        help: "Key rotation: write the next key beside the configured one and print the steps (no restart needed).")
    var rotate = false

    @Option(name: .shortAndLong, help: "With --rotate: the configuration naming the current key and the user.")
    var config: String = "/etc/snowpiped/snowpiped.yaml"

    @Option(
        name: .long, help: "With --rotate: the slot the new public key goes to (2, or 1 when the current key is in 2).")
    var slot: Int = 2

    @Option(name: .long, help: "Snowflake user the key is for (used in the printed ALTER USER statement).")
    var user: String = "<user>"

    @Option(name: .long, help: "Read a passphrase from this file and encrypt the key with it (AES-256, PBES2).")
    var passphraseFile: String?

    @Option(name: .long, help: "Key size in bits.")
    var bits: Int = 2048

    @Flag(name: .long, help: "Replace an existing file.")
    var force = false

    @Option(
        name: .long,
        help: "Give the private key to this user and their group (run as root for the service: --owner snowpiped).")
    var owner: String?

    func run() throws {
        guard [2048, 3072, 4096].contains(bits) else {
            throw ValidationError("--bits must be 2048, 3072 or 4096")
        }
        guard [1, 2].contains(slot) else { throw ValidationError("--slot must be 1 or 2") }
        var out = self.out
        var user = self.user
        var owner = self.owner
        var current: String?
        if rotate {
            let settings = try Snowpiped.loadConfiguration(config)
            current = settings.snowflake.privateKeyFile
            out = out ?? Self.nextKeyPath(for: settings.snowflake.privateKeyFile)
            if user == "<user>" { user = settings.snowflake.user }
            // As root, the new key goes to the owner of the current one (the service user).
            var info = stat()
            if owner == nil, getuid() == 0, stat(settings.snowflake.privateKeyFile, &info) == 0, info.st_uid != 0,
                let entry = getpwuid(info.st_uid)
            {
                owner = String(cString: entry.pointee.pw_name)
            }
        }
        guard let out else { throw ValidationError("--out is required (or --rotate, which puts it beside the key)") }
        if FileManager.default.fileExists(atPath: out), !force {
            throw ValidationError("\(out) already exists; pass --force to replace it")
        }
        var passphrase: String?
        if let passphraseFile {
            guard let data = FileManager.default.contents(atPath: passphraseFile),
                let text = String(data: data, encoding: .utf8)
            else { throw ValidationError("cannot read passphrase file \(passphraseFile)") }
            passphrase = text.trimmingCharacters(in: .newlines)
            guard passphrase?.isEmpty == false else {
                throw ValidationError("passphrase file \(passphraseFile) is empty")
            }
        }
        var ownerIDs: (uid: uid_t, gid: gid_t)?
        if let owner {
            guard let entry = getpwnam(owner) else {
                throw ValidationError(
                    "--owner \(owner): no such user on this machine (the package creates `snowpiped`)")
            }
            ownerIDs = (entry.pointee.pw_uid, entry.pointee.pw_gid)
        }
        let key = try PrivateKey.generate(bits: bits)
        let pem = try key.pkcs8PEM(passphrase: passphrase)
        let descriptor = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ValidationError("cannot create \(out): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        fchmod(descriptor, 0o600)
        if let ownerIDs, fchown(descriptor, ownerIDs.uid, ownerIDs.gid) != 0 {
            throw ValidationError(
                "cannot give \(out) to \(owner ?? ""): \(String(cString: strerror(errno))) (run keygen as root)")
        }
        let bytes = Array(pem.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count, fsync(descriptor) == 0 else {
            throw ValidationError("cannot write \(out): \(String(cString: strerror(errno)))")
        }
        let publicKey = key.publicKey
        try publicKey.pem.write(toFile: out + ".pub", atomically: true, encoding: .utf8)
        let ownedBy = owner.map { ", owned by \($0)" } ?? ""
        print("Wrote \(out) (private, mode 0600\(ownedBy)\(passphrase == nil ? "" : ", encrypted")) and \(out).pub")
        print("Fingerprint: \(publicKey.fingerprint)")
        guard rotate, let current else {
            print("Register it in Snowflake:")
            print("  ALTER USER \(user) SET RSA_PUBLIC_KEY='\(publicKey.base64DER)';")
            return
        }
        let newSlot = slot == 2 ? "RSA_PUBLIC_KEY_2" : "RSA_PUBLIC_KEY"
        let oldSlot = slot == 2 ? "RSA_PUBLIC_KEY" : "RSA_PUBLIC_KEY_2"
        print("Rotate without a restart or a lost file:")
        print("  1. In Snowflake (the current key stays in \(oldSlot); DESC USER \(user) shows both fingerprints):")
        print("       ALTER USER \(user) SET \(newSlot)='\(publicKey.base64DER)';")
        print("  2. In \(config), under snowflake:  next_private_key_file: \(out)")
        print("     then: systemctl reload snowpiped   (`snowpiped check` shows which keys Snowflake accepts)")
        print("  3. In Snowflake, retire the old key; the daemon switches to the new one at the first refusal:")
        print("       ALTER USER \(user) UNSET \(oldSlot);")
        print("  4. In \(config): private_key_file: \(out), remove next_private_key_file (and \(current)),")
        print("     then: systemctl reload snowpiped")
    }

    /// `/etc/snowpiped/rsa_key.p8` → `/etc/snowpiped/rsa_key.next.p8`.
    static func nextKeyPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let base = url.deletingPathExtension().path
        return ext.isEmpty ? base + ".next" : base + ".next." + ext
    }
}
