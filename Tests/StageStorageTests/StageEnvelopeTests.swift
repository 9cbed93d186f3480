import Foundation
import StageStorage
import Testing

/// The V1 envelope of client-side encrypted stages (reference/internal-stage-notes.md §3), checked by its
/// properties: sizes, metadata shapes, round trips, and refusal of a wrong key.
@Suite("Stage encryption envelope")
struct StageEnvelopeTests {
    static let material = StageEncryptionMaterial(
        masterKey: Array(repeating: 7, count: 16), queryID: "01b2-query", smkID: 4_242)

    @Test(arguments: [0, 1, 15, 16, 17, 1000, 65_536])
    func aRoundTripReturnsThePlaintext(size: Int) throws {
        let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let (ciphertext, metadata) = try StageEnvelope.encrypt(plaintext, material: Self.material)
        #expect(ciphertext.count == 16 * (size / 16 + 1), "PKCS#7 always adds a block's worth or less")
        #expect(ciphertext != plaintext)
        #expect(
            try StageEnvelope.decrypt(ciphertext, metadata: metadata, masterKey: Self.material.masterKey) == plaintext)
    }

    /// A file encrypted in pieces of any length (a multipart upload's parts) decrypts as one, at the predicted size.
    @Test(arguments: [0, 15, 16, 100_003])
    func anEncryptionInPiecesDecryptsWholeAtThePredictedSize(size: Int) throws {
        let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let encryptor = try StageEnvelope.Encryptor(material: Self.material)
        var ciphertext: [UInt8] = []
        var offset = 0
        for length in [1, 16, 4_000, 33, 50_000] where offset < size {
            let end = min(size, offset + length)
            ciphertext += try plaintext[offset..<end].withUnsafeBytes { try encryptor.update($0) }
            offset = end
        }
        ciphertext += try plaintext[offset...].withUnsafeBytes { try encryptor.update($0) }
        ciphertext += try encryptor.finish()
        #expect(Int64(ciphertext.count) == StageEnvelope.ciphertextSize(Int64(size)))
        #expect(
            try StageEnvelope.decrypt(ciphertext, metadata: encryptor.metadata, masterKey: Self.material.masterKey)
                == plaintext)
    }

    @Test func theMetadataHasTheDriversShapes() throws {
        let (_, metadata) = try StageEnvelope.encrypt(Array("a,b\n".utf8), material: Self.material)
        #expect(metadata["x-amz-key"].flatMap { Data(base64Encoded: $0) }?.count == 32, "a 16-byte key wraps to 32")
        #expect(metadata["x-amz-iv"].flatMap { Data(base64Encoded: $0) }?.count == 16)
        #expect(metadata["x-amz-matdesc"] == #"{"queryId":"01b2-query","smkId":"4242","keySize":"128"}"#)
    }

    @Test func a256BitMasterKeyWrapsTo48BytesAndSaysSo() throws {
        let material = StageEncryptionMaterial(masterKey: Array(repeating: 9, count: 32), queryID: "q", smkID: 1)
        let (ciphertext, metadata) = try StageEnvelope.encrypt(Array("x".utf8), material: material)
        #expect(metadata["x-amz-key"].flatMap { Data(base64Encoded: $0) }?.count == 48)
        #expect(metadata["x-amz-matdesc"]?.contains(#""keySize":"256""#) == true)
        #expect(
            try StageEnvelope.decrypt(ciphertext, metadata: metadata, masterKey: material.masterKey) == Array("x".utf8))
    }

    @Test func twoEncryptionsOfTheSameFileDiffer() throws {
        let first = try StageEnvelope.encrypt(Array("same".utf8), material: Self.material)
        let second = try StageEnvelope.encrypt(Array("same".utf8), material: Self.material)
        #expect(first.ciphertext != second.ciphertext)
        #expect(first.metadata["x-amz-key"] != second.metadata["x-amz-key"])
    }

    @Test func theWrongMasterKeyIsRefusedNotDecryptedToGarbage() throws {
        let (ciphertext, metadata) = try StageEnvelope.encrypt(Array("secret rows".utf8), material: Self.material)
        #expect(throws: StageEnvelopeError.self) {
            try StageEnvelope.decrypt(ciphertext, metadata: metadata, masterKey: Array(repeating: 8, count: 16))
        }
        #expect(throws: StageEnvelopeError.self) {
            try StageEnvelope.decrypt(ciphertext, metadata: [:], masterKey: Self.material.masterKey)
        }
    }

    @Test func materialNeverPrintsItsKey() {
        #expect("\(Self.material)".contains("7, 7") == false)
        #expect("\(Self.material)".contains("redacted"))
    }
}
