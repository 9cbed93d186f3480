/// Where the client gets the bearer token for each request. `renew` is called after a 401 and must return a
/// freshly minted token. Either may throw; the message must not contain secrets.
public struct TokenSource: Sendable {
    public var current: @Sendable () async throws -> String
    public var renew: @Sendable () async throws -> String

    public init(
        current: @escaping @Sendable () async throws -> String,
        renew: @escaping @Sendable () async throws -> String
    ) {
        self.current = current
        self.renew = renew
    }
}
