/// Snowpipe Streaming's protocol facts that decisions depend on, in one place (`snowpipe-streaming-rest-api.txt`,
/// "Append rows": the rows payload is limited to 4 MB; the request to 16 MB). The daemon cuts its appends and
/// refuses oversized rows by them, and the emulator enforces them.
public enum StreamingLimits {
    /// At most this many bytes of rows in one append, as sent.
    public static let maximumRowsBytes = 4 * 1024 * 1024
    /// At most this many bytes in one append request, and in its rows once decompressed.
    public static let maximumRequestBytes = 16 * 1024 * 1024
    /// The daemon's appends carry at most this many uncompressed bytes of rows: within `maximumRowsBytes` even if
    /// compression gains nothing, with room to spare.
    public static let chunkBytes = maximumRowsBytes - 64 * 1024
    /// One row is at most this many bytes (a row must fit an append with its newline).
    public static let maximumRowBytes = maximumRowsBytes - 1024
}
