/// The object name a file version gets in a stage the daemon uploads to, which is also the path `insertFiles`
/// names (relative to the stage root the pipe copies from).
///
/// `<stage path>/<directories under the watched one>/<version>/<file name>[.gz]`: the version (mtime and size
/// in hex) makes every version of a path a new name, so Snowpipe's 14-day load metadata never skips a new
/// version and an object already in the stage under this name is this version (a restart after a crash) or a
/// collision. `.gz` is added unless the name already says the file is compressed: the daemon gzips files that
/// are not, and uploads gzip content under a `.gz` name as it is.
public enum StageObjectName {
    /// Extensions uploaded as they are (already compressed, or columnar formats Snowflake reads compressed).
    public static let compressedExtensions: Set<String> = [
        "gz", "gzip", "bz2", "zst", "br", "deflate", "raw_deflate", "parquet", "orc", "avro",
    ]

    /// The stage path for `relative` (the path under the watched directory, `/`-separated).
    public static func path(stagePath: String, relative: String, size: Int64, mtimeNanoseconds: Int64) -> String {
        var components = relative.split(separator: "/").map(String.init)
        let name = components.popLast() ?? relative
        let version =
            String(UInt64(bitPattern: mtimeNanoseconds), radix: 16) + "-"
            + String(
                UInt64(bitPattern: size), radix: 16)
        let root = stagePath.split(separator: "/").map(String.init)
        return (root + components + [version, name + (compresses(name) ? ".gz" : "")]).joined(separator: "/")
    }

    /// True when the daemon gzips a file of this name before upload (its name does not say it is compressed).
    public static func compresses(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return true }
        return compressedExtensions.contains(name[name.index(after: dot)...].lowercased()) == false
    }

    /// True when `stagePath` is one this type made (its last directory is a version: hex, `-`, hex).
    public static func isVersioned(_ stagePath: String) -> Bool {
        let components = stagePath.split(separator: "/")
        guard components.count >= 2 else { return false }
        let parts = components[components.count - 2].split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { $0.isEmpty == false && $0.allSatisfy(\.isHexDigit) }
    }

    /// The directory part and the base name of a stage path.
    public static func split(_ stagePath: String) -> (directory: String, name: String) {
        guard let slash = stagePath.lastIndex(of: "/") else { return ("", stagePath) }
        return (String(stagePath[..<slash]), String(stagePath[stagePath.index(after: slash)...]))
    }
}

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
