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
