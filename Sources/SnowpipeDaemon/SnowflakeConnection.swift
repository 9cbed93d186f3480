import Foundation
import IngestCore
import SnowflakeAuth
import SnowpipeAPI
import SnowpipeHTTPClient

/// The key, token cache, transport and client built from a configuration: everything needed to talk to
/// Snowpipe. Call `shutdown()` before dropping it (the HTTP client owns connections).
public final class SnowflakeConnection: Sendable {
    public let key: PrivateKey
    /// The next key of a rotation (`next_private_key_file`), if configured.
    public let nextKey: PrivateKey?
    public let tokens: TokenCache
    public let transport: AsyncHTTPTransport
    public let endpoint: SnowflakeEndpoint
    public let settings: SnowflakeSettings

    /// Loads the key (reading the passphrase from its source) and prepares the transport.
    /// - Throws: `SetupError` naming what failed (passphrase source, key file, CA file).
    /// - Parameter connectTimeout: how long one connection attempt may take (the HTTP client keeps retrying a
    ///   refused connection until then).
    public init(
        settings: SnowflakeSettings,
        connectTimeout: Duration = .seconds(10),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        onKeySwitch: @escaping @Sendable (_ refused: String, _ next: String) -> Void = { _, _ in }
    ) throws(SetupError) {
        self.settings = settings
        key = try Self.loadKey(settings, path: settings.privateKeyFile, environment: environment)
        nextKey = try settings.nextPrivateKeyFile.map { path throws(SetupError) in
            try Self.loadKey(settings, path: path, environment: environment)
        }
        tokens = TokenCache(
            keys: [key] + (nextKey.map { [$0] } ?? []), account: settings.account, user: settings.user,
            onSwitch: onKeySwitch)
        endpoint = Self.endpoint(settings)
        do {
            transport = try AsyncHTTPTransport(
                caCertificatePath: settings.caFile,
                connectTimeout: connectTimeout,
                requestTimeout: .milliseconds(Int64(settings.requestTimeoutSeconds * 1000)))
        } catch {
            throw SetupError("cannot load the CA bundle \(settings.caFile ?? ""): \(error)")
        }
    }

    /// Loads the private key with its passphrase; errors name the file or source, never the secret.
    /// The account's endpoint: `host` when the configuration names one, else the account's own host name.
    static func endpoint(_ settings: SnowflakeSettings) -> SnowflakeEndpoint {
        guard let host = settings.host else {
            var endpoint = SnowflakeEndpoint.forAccount(settings.account)
            endpoint.port = settings.port
            return endpoint
        }
        return SnowflakeEndpoint(scheme: settings.scheme, host: host, port: settings.port)
    }

    public static func loadKey(_ settings: SnowflakeSettings, path: String, environment: [String: String])
        throws(SetupError) -> PrivateKey
    {
        let source: PassphraseSource
        switch settings.passphrase {
        case .none: source = .none
        case .credential(let name): source = .credential(name)
        case .file(let path): source = .file(path)
        case .environment(let variable): source = .environment(variable)
        }
        let passphrase: String?
        do {
            passphrase = try source.read(environment: environment)
        } catch {
            throw SetupError(error.description)
        }
        do {
            return try PrivateKey.load(path: path, passphrase: passphrase)
        } catch {
            throw SetupError(error.description)
        }
    }

    /// A client over this connection.
    public func client(retrying: SnowpipeClient.Retrying, version: String) -> SnowpipeClient {
        client(tokens: tokens, retrying: retrying, version: version)
    }

    /// A client that signs with `key` only (never the other key of a rotation): for `check`, which asks
    /// Snowflake about each key.
    public func client(signingWith key: PrivateKey, version: String) -> SnowpipeClient {
        client(
            tokens: TokenCache(key: key, account: settings.account, user: settings.user),
            retrying: .init(maximumAttempts: 1), version: version)
    }

    private func client(tokens: TokenCache, retrying: SnowpipeClient.Retrying, version: String) -> SnowpipeClient {
        Self.client(settings: settings, transport: transport, tokens: tokens, retrying: retrying, version: version)
    }

    /// A Snowpipe client for `settings` over any transport, signing with `tokens`: the one construction behind the
    /// daemon's, `check`'s and the replay's (which talks to the emulator in its own process).
    static func client(
        settings: SnowflakeSettings, transport: any HTTPTransport, tokens: TokenCache,
        retrying: SnowpipeClient.Retrying, version: String
    ) -> SnowpipeClient {
        SnowpipeClient(
            endpoint: endpoint(settings), transport: transport,
            tokens: TokenSource(current: { try await tokens.token() }, renew: { try await tokens.renew() }),
            retrying: retrying, version: version)
    }

    /// A Snowpipe Streaming client over this connection (its key-pair JWTs for the account host).
    public func streamingClient(version: String) -> StreamingClient {
        let tokens = self.tokens
        return StreamingClient(
            account: endpoint, transport: transport,
            jwt: TokenSource(current: { try await tokens.token() }, renew: { try await tokens.renew() }),
            version: version)
    }

    /// A driver-protocol session for `PUT` into internal stages; it logs in with 60 s key-pair JWTs, as the
    /// drivers do.
    public func sessionClient(version: String) -> SessionClient {
        let tokens = self.tokens
        let settings = self.settings
        return SessionClient(
            endpoint: endpoint, transport: transport, account: settings.account, user: settings.user,
            version: version
        ) {
            let key = await tokens.activeKey
            let claims = JWTClaims(
                account: settings.account, user: settings.user, fingerprint: key.fingerprint,
                issuedAt: Int64(Date().timeIntervalSince1970), lifetime: 60)
            return try JWT.sign(claims, with: key)
        }
    }

    /// The `sub` of the tokens (`ACCOUNT.USER`).
    public var subject: String { AccountIdentifier.qualifiedUser(account: settings.account, user: settings.user) }

    /// Closes the HTTP connections.
    public func shutdown() async {
        try? await transport.shutdown()
    }
}

/// Setting up failed before anything started; the message says what and how to fix it.
public struct SetupError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
