import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOHTTPTypes
import NIOSSL
import ServiceLifecycle

/// Serves a `SnowpipeEmulator` over HTTP/1.1 (plain or TLS) with Hummingbird, carrying out its delay and dropped-connection
/// faults, and runs its loader as a service next to the server.
public enum EmulatorServer {
    /// Header the engine's dropped-connection answer carries to `ConnectionDropHandler` (never sent to clients).
    static let dropHeader = HTTPField.Name("X-Snowpipe-Emulator-Drop")!
    /// Header carrying the emulator clock's HTTP date to `ConnectionDropHandler`, which makes it the `Date`
    /// header (Hummingbird would otherwise stamp the system time, which a moved emulator clock contradicts).
    static let dateHeader = HTTPField.Name("X-Snowpipe-Emulator-Date")!

    /// An application serving `emulator` on `host:port` (port 0 picks a free one), over TLS when `tls` is given
    /// (the official Snowpipe Streaming SDK speaks HTTPS only). `onBound` receives the bound port once the server
    /// listens.
    /// - Throws: when the TLS configuration cannot be used (NIOSSL's error).
    public static func makeApplication(
        emulator: SnowpipeEmulator,
        host: String = "127.0.0.1",
        port: Int = 0,
        tls: TLSConfiguration? = nil,
        logger: Logger,
        onBound: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            try await respond(to: request, emulator: emulator)
        }
        var server = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [ConnectionDropHandler()]))
        if let tls { server = try .tls(server, tlsConfiguration: tls) }
        return Application(
            responder: responder,
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "snowpipe-emulator"),
            services: [LoaderService(emulator: emulator)],
            onServerRunning: { channel in await onBound(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    static func respond(to request: Request, emulator: SnowpipeEmulator) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024 * 1024)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        let path = request.uri.path.removingPercentEncoding ?? request.uri.path
        let answer = await emulator.handle(
            EmulatorRequest(
                method: request.method.rawValue, path: path, query: query, headers: headers,
                body: Array(body.readableBytesView)))
        if let delay = answer.delay { try await Task.sleep(for: delay) }
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let fieldName = HTTPField.Name(name) { fields[fieldName] = value }
        }
        if answer.dropConnection { fields[dropHeader] = "1" }
        fields[dateHeader] = httpDate(emulator.clock.now())
        return Response(
            status: .init(code: answer.status), headers: fields,
            body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}

/// An RFC 9110 HTTP date, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
func httpDate(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return formatter.string(from: date)
}

/// Closes the connection instead of writing a response marked with `EmulatorServer.dropHeader`: the client
/// sees its request vanish, as with a crashed proxy or a reset connection.
final class ConnectionDropHandler: ChannelOutboundHandler, RemovableChannelHandler, Sendable {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        guard case .head(var head) = part else {
            context.write(data, promise: promise)
            return
        }
        if head.headerFields[EmulatorServer.dropHeader] != nil {
            promise?.fail(ChannelError.ioOnClosedChannel)
            context.close(mode: .all, promise: nil)
            return
        }
        if let date = head.headerFields[EmulatorServer.dateHeader] {
            head.headerFields[EmulatorServer.dateHeader] = nil
            head.headerFields[.date] = date
        }
        context.write(wrapOutboundOut(.head(head)), promise: promise)
    }
}

/// Runs the emulator's loader until graceful shutdown.
struct LoaderService: Service {
    let emulator: SnowpipeEmulator

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await emulator.runLoader()
        }
    }
}

extension EmulatorServer {
    /// A server TLS configuration from PEM files: the certificate chain (leaf first) and its private key.
    /// - Throws: NIOSSL's error naming what does not load.
    public static func tlsConfiguration(certificatePath: String, keyPath: String) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
    }
}
