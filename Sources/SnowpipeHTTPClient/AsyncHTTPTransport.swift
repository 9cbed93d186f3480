import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SnowpipeAPI

/// The production `HTTPTransport`: AsyncHTTPClient with connection reuse, timeouts and TLS verification on
/// (the system trust store, or a private CA for tests against a TLS emulator).
public final class AsyncHTTPTransport: HTTPTransport {
    /// Default time to establish a connection.
    public static let defaultConnectTimeout = Duration.seconds(10)
    /// Default time for a whole exchange.
    public static let defaultRequestTimeout = Duration.seconds(60)
    /// Largest answer accepted by default (a loadHistoryScan page of 10,000 entries is ~4 MB).
    public static let defaultMaximumResponseBytes = 64 * 1024 * 1024

    private let client: HTTPClient
    private let requestTimeout: TimeAmount
    private let maximumResponseBytes: Int

    /// - Parameters:
    ///   - caCertificatePath: a PEM CA bundle to trust instead of the system store (tests).
    ///   - maximumResponseBytes: a longer answer fails the exchange (its body is collected in memory).
    public init(
        caCertificatePath: String? = nil,
        connectTimeout: Duration = defaultConnectTimeout,
        requestTimeout: Duration = defaultRequestTimeout,
        maximumResponseBytes: Int = defaultMaximumResponseBytes
    ) throws {
        self.maximumResponseBytes = maximumResponseBytes
        let connectTimeout = TimeAmount(connectTimeout)
        let requestTimeout = TimeAmount(requestTimeout)
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caCertificatePath {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caCertificatePath))
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            timeout: .init(connect: connectTimeout, read: requestTimeout),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 8)
        )
        configuration.httpVersion = .automatic
        configuration.decompression = .disabled
        client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        self.requestTimeout = requestTimeout
    }

    /// A process-wide transport with the default settings, never shut down (for long-lived users such as the
    /// emulator's stage storage, which has no shutdown of its own).
    public static let shared: AsyncHTTPTransport = {
        do { return try AsyncHTTPTransport() } catch { fatalError("cannot create the shared HTTP transport: \(error)") }
    }()

    /// A process-wide transport that takes answers of up to 16 GiB and allows 30 minutes an exchange: the
    /// emulator's loader GETs whole staged objects, of any size a user may stage.
    public static let sharedBulk: AsyncHTTPTransport = {
        do {
            return try AsyncHTTPTransport(requestTimeout: .seconds(1800), maximumResponseBytes: 16 << 30)
        } catch {
            fatalError("cannot create the shared HTTP transport: \(error)")
        }
    }()

    /// Closes the connection pool. Must be called before the transport is released.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    public func send(_ request: HTTPRequestData) async throws(TransportError) -> HTTPResponseData {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        if request.body.isEmpty == false { outgoing.body = .bytes(ByteBuffer(bytes: request.body)) }
        do {
            let response = try await client.execute(outgoing, timeout: requestTimeout)
            let body = try await response.body.collect(upTo: maximumResponseBytes)
            var headers: [String: String] = [:]
            for header in response.headers { headers[header.name.lowercased()] = header.value }
            return HTTPResponseData(status: Int(response.status.code), headers: headers, body: Array(buffer: body))
        } catch {
            throw Self.classify(error, url: request.url)
        }
    }

    /// Maps AsyncHTTPClient/NIO errors to the transport's vocabulary.
    static func classify(_ error: any Error, url: String) -> TransportError {
        let host = URL(string: url)?.host ?? url
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return .timeout
            case .connectTimeout: return .connectFailed("connect timeout to \(host)")
            case .remoteConnectionClosed, .cancelled: return .connectionLost("\(client)")
            // A server that does not speak TLS may answer a ClientHello with nothing at all (it waits for the rest
            // of what it takes for a request): the handshake times out instead of failing.
            case .tlsHandshakeTimeout: return .tls("the TLS handshake with \(host) timed out (does it speak TLS?)")
            default: break
            }
        }
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return .tls("\(error)")
        }
        if let connection = error as? NIOConnectionError {
            if connection.dnsAError != nil || connection.dnsAAAAError != nil, connection.connectionErrors.isEmpty {
                return .unresolvableHost(host)
            }
            return .connectFailed("\(connection.connectionErrors.first.map { "\($0.error)" } ?? "\(connection)")")
        }
        let text = "\(error)"
        if text.lowercased().contains("refused") || text.contains("errno: 111") || text.contains("unreachable") {
            return .connectFailed("connection refused by \(host)")
        }
        if text.contains("connectTimeout") { return .connectFailed(text) }
        if error is ChannelError || error is IOError { return .connectionLost(text) }
        return .other(text)
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
