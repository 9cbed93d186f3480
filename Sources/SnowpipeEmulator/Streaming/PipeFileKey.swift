import Foundation

/// The key a streaming pipe hands its clients in `:pipe-info` (`encryption_info`), with which the official SDK
/// encrypts the files its file mode writes to the pipe's stage: 32 random bytes (the SDK refuses a shorter one:
/// "Encryption key too short: expected 32 bytes"), an id it echoes as `master_key_id`, and a diversifier it
/// echoes as given. Made once per pipe per run of the emulator; a fragment sent under another id is refused.
struct PipeFileKey: Sendable, Equatable {
    let id: String
    let key: [UInt8]
    let diversifier: String

    /// A new random key.
    static func generate() -> PipeFileKey {
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let id = String(UInt32.random(in: 1...UInt32.max, using: &generator))
        let diversifier = String(UInt64.random(in: 1...UInt64.max, using: &generator), radix: 36)
        return PipeFileKey(id: id, key: key, diversifier: diversifier)
    }
}
