/// Snowpipe's protocol facts that decisions depend on, in one place (`../shared/reference/snowpipe-rest-api.txt`).
/// The daemon plans by them and the emulator enforces them.
public enum SnowpipeLimits {
    /// At most this many files in one insertFiles call.
    public static let maximumFilesPerCall = 5000
    /// A stage path is at most this many bytes in UTF-8.
    public static let maximumPathBytes = 1024
    /// insertReport keeps a pipe's load events this long (10 minutes): events older than that are only in
    /// loadHistoryScan.
    public static let reportRetentionSeconds: Double = 600
    /// How long a pipe remembers a path it received (and skips it): 14 days.
    public static let loadMetadataSeconds: Double = 14 * 86_400
}
