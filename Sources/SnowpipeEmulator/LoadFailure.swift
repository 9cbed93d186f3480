/// A file that could not be processed at all (Snowpipe's `systemError`).
struct LoadFailure: Error, Sendable {
    let message: String

    static func system(_ message: String) -> LoadFailure { LoadFailure(message: message) }
}
