import Foundation

/// A Snowpipe Streaming error: the HTTP status and the `{"code","message"}` envelope every `/v2/streaming`
/// endpoint answers with. Codes are the server's own where Snowflake's binaries or documentation name them
/// (`../shared/reference/protocol-notes.md` §3.5, §4.1); the others follow the same `ERR_` pattern.
struct StreamingError: Error, Sendable, Equatable {
    /// HTTP status.
    let status: Int
    /// Stable, programmatic code.
    let code: String
    /// Human-readable message (not for parsing).
    let message: String

    /// The error as an HTTP answer.
    var response: EmulatorResponse { .json(status, ["code": code, "message": message]) }

    static let staleContinuationToken = StreamingError(
        status: 400, code: "STALE_CONTINUATION_TOKEN_SEQUENCER",
        message: "Channel sequencer in the continuation token is stale. Please reopen the channel")

    static func invalidContinuationToken(_ token: String) -> StreamingError {
        StreamingError(
            status: 400, code: "ERR_INVALID_CONTINUATION_TOKEN",
            message:
                "Continuation token '\(token.prefix(64))' is not one this service issued. Please reopen the channel")
    }

    static let missingContinuationToken = StreamingError(
        status: 400, code: "ERR_MISSING_CONTINUATION_TOKEN",
        message: "The continuationToken query parameter is required. Open the channel to get one")

    static let uncommittedData = StreamingError(
        status: 409, code: "ERR_CHANNEL_HAS_UNCOMMITTED_DATA",
        message: "The channel has uncommitted in-flight data and fail_on_uncommitted_rows is true")

    static func channelNotFound(_ channel: String, pipe: String) -> StreamingError {
        StreamingError(
            status: 404, code: "ERR_CHANNEL_DOES_NOT_EXIST_OR_NOT_AUTHORIZED",
            message: "Channel \(channel) on pipe \(pipe) does not exist or is not authorized. Open it first")
    }

    static func pipeNotFound(_ pipe: String) -> StreamingError {
        StreamingError(
            status: 404, code: "ERR_PIPE_DOES_NOT_EXIST_OR_NOT_AUTHORIZED",
            message: "Pipe \(pipe) does not exist or is not authorized")
    }

    static func invalidRequest(_ message: String) -> StreamingError {
        StreamingError(status: 400, code: "ERR_INVALID_REQUEST", message: message)
    }

    static func invalidRows(_ message: String) -> StreamingError {
        StreamingError(status: 400, code: "ERR_INVALID_ROWS_PAYLOAD", message: message)
    }

    static func payloadTooLarge(_ message: String) -> StreamingError {
        StreamingError(status: 413, code: "ERR_PAYLOAD_TOO_LARGE", message: message)
    }

    static func unsupportedEncoding(_ encoding: String) -> StreamingError {
        StreamingError(
            status: 415, code: "ERR_UNSUPPORTED_CONTENT_ENCODING",
            message: "Content-Encoding '\(encoding)' is not supported: send gzip, zstd or no encoding")
    }

    static func unauthorized(_ message: String) -> StreamingError {
        StreamingError(status: 401, code: "ERR_AUTHENTICATION_FAILED", message: message)
    }

    static let notFound = StreamingError(status: 404, code: "ERR_NOT_FOUND", message: "No such endpoint")

    /// The emulator's own failure (its stage storage unreachable): a 500 the client retries.
    static func internalError(_ message: String) -> StreamingError {
        StreamingError(status: 500, code: "ERR_INTERNAL_ERROR", message: message)
    }
}
