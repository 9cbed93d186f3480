/// What the stage says about the object a file version is uploaded to, judged against what the daemon would
/// upload (DESIGN.md "upload steps"; reference/internal-stage-notes.md §6-§7). Pure.
public enum UploadVerdict: Sendable, Equatable {
    /// No object yet: upload it.
    case upload
    /// The object is there with this version's size and digest (a restart after a crash): use it as is.
    case alreadyStaged
    /// Another object holds the name: never overwrite it, never submit it. The message says what differs.
    case collision(String)
    /// After an upload: the object is not (yet) what was sent (lost, truncated, not visible): upload again.
    case notVerified(String)

    /// The object's properties as a HEAD returned them.
    public struct Observed: Sendable, Equatable {
        public var size: Int
        public var digest: String?
        /// True when the encryption metadata (key, IV, material description) is present.
        public var encryptionMetadata: Bool

        public init(size: Int, digest: String?, encryptionMetadata: Bool) {
            self.size = size
            self.digest = digest
            self.encryptionMetadata = encryptionMetadata
        }
    }

    /// Before uploading: nil from HEAD means absent.
    public static func beforeUpload(observed: Observed?, digest: String, encrypted: Bool) -> UploadVerdict {
        guard let observed else { return .upload }
        guard observed.digest == digest else {
            return .collision(
                "an object with another digest (\(observed.digest ?? "none")) already has this name; this file's "
                    + "digest is \(digest)")
        }
        if encrypted, observed.encryptionMetadata == false {
            return .collision("an object with this digest but without encryption metadata already has this name")
        }
        return .alreadyStaged
    }

    /// After uploading `size` bytes with `digest`: the object must be there, the same size, the same digest.
    public static func afterUpload(observed: Observed?, size: Int, digest: String, encrypted: Bool) -> UploadVerdict {
        guard let observed else { return .notVerified("the object is not in the stage after its upload") }
        guard observed.size == size else {
            return .notVerified("the staged object has \(observed.size) bytes, \(size) were sent")
        }
        guard observed.digest == digest else {
            return .notVerified("the staged object's digest is \(observed.digest ?? "missing"), not \(digest)")
        }
        if encrypted, observed.encryptionMetadata == false {
            return .notVerified("the staged object lacks its encryption metadata")
        }
        return .alreadyStaged
    }
}
