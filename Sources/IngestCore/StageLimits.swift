/// The numbers of uploading to a stage, in one place: Snowflake's (the PUT answer's multipart threshold), S3's (the
/// part count) and the daemon's own choices (what stays in memory, the part size, how long a PUT answer is reused),
/// each with where it comes from. The daemon plans by them and the emulator answers with them.
public enum StageLimits {
    /// The multipart threshold a PUT answer carries when it names none, and the emulator's default: Snowflake's
    /// 200 MiB (`data.threshold`, `reference/internal-stage-notes.md` §2).
    public static let defaultMultipartThreshold = 209_715_200
    /// The threshold used for an external S3 stage, which has no PUT answer: the daemon's choice, 64 MiB.
    public static let externalMultipartThreshold = 64 << 20
    /// A file up to this size is prepared (read, gzipped, encrypted) in memory and sent in one PUT; a larger one
    /// goes through a spool file and a multipart upload, whatever the threshold says.
    public static let inMemoryBytes = 16 << 20
    /// The smallest part of a multipart upload the daemon sends: 8 MiB (S3's minimum is 5 MiB).
    public static let minimumPartBytes = 8 << 20
    /// S3's most parts in one multipart upload.
    public static let maximumParts = 10_000
    /// A PUT answer is reused this long, in seconds (its temporary credentials last longer; an `ExpiredToken` renews
    /// it at once).
    public static let answerLifetimeSeconds = 600.0

    /// The part size for an object of `size` bytes: 8 MiB, or whole MiB large enough to stay within S3's parts.
    public static func partBytes(for size: Int64) -> Int {
        let needed = (size + Int64(maximumParts) - 1) / Int64(maximumParts)
        return max(minimumPartBytes, Int((needed + Int64(1 << 20) - 1) / Int64(1 << 20)) << 20)
    }
}
