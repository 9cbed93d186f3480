import Foundation
import IngestCore
import SnowflakeAuth
import StageStorage

/// The parts of one multipart upload, produced one at a time from a `PreparedUpload`: read, digested again (so a
/// file that changed since it was prepared is caught before the upload completes) and, on a client-side encrypted
/// stage, encrypted in one AES-CBC pass across the parts. At most one part's plaintext and ciphertext are in
/// memory. Blocking: `next()` runs on `BlockingWork`. One owner at a time.
final class UploadParts: @unchecked Sendable {
    /// S3's limits: at most 10,000 parts; our parts are 8 MiB unless the object needs larger ones.
    static func partSize(for size: Int64) -> Int { StageLimits.partBytes(for: size) }

    let prepared: PreparedUpload
    let partSize: Int
    private let encryptor: StageEnvelope.Encryptor?
    private let hasher = SHA256Digest.Hasher()
    private var offset: Int64 = 0

    init(_ prepared: PreparedUpload, encryptor: StageEnvelope.Encryptor?) {
        self.prepared = prepared
        self.encryptor = encryptor
        partSize = Self.partSize(for: prepared.size)
    }

    /// What the stage object's size will be.
    var objectSize: Int64 {
        encryptor == nil ? prepared.size : StageEnvelope.ciphertextSize(prepared.size)
    }

    /// Why a part could not be produced.
    enum Failure: Error {
        case unreadable(Int32)
        /// The bytes read now are not the bytes digested when the file was prepared.
        case digestChanged
        case encryption(String)
    }

    /// The next part, or nil after the last; the last part is produced only once the digest is proven unchanged.
    func next() -> Result<[UInt8]?, Failure> {
        guard offset < prepared.size else { return .success(nil) }
        let count = Int(min(Int64(partSize), prepared.size - offset))
        guard let plaintext = prepared.read(at: offset, count: count) else { return .failure(.unreadable(errno)) }
        offset += Int64(count)
        plaintext.withUnsafeBytes { hasher.update($0) }
        let last = offset == prepared.size
        if last, Data(hasher.finish()).base64EncodedString() != prepared.digest { return .failure(.digestChanged) }
        guard let encryptor else { return .success(plaintext) }
        do {
            var part = try encryptor.update(plaintext)
            if last { part += try encryptor.finish() }
            return .success(part)
        } catch {
            return .failure(.encryption(error.description))
        }
    }
}
