import Foundation
import Hummingbird
import Logging
import Outbox
import Prometheus
import ServiceLifecycle
import Synchronization

/// The opt-in Prometheus endpoint (`metrics.listen`): `GET /metrics` renders the registry in the text exposition
/// format after reading the outbox gauges; anything else is a 404. Served by Hummingbird, as one service of the
/// daemon's group (it stops with the others).
enum MetricsEndpoint {
    /// The text format's content type (Prometheus exposition format 0.0.4).
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The endpoint as a service; `onBound` receives the bound port (0 in the settings picks a free one).
    static func service(
        settings: MetricsSettings, context: DaemonContext, logger: Logger,
        onBound: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some Service {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            await refresh(context)
            var headers = HTTPFields()
            headers[.contentType] = contentType
            return Response(
                status: .ok, headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: context.metrics.exposition())))
        }
        var quiet = logger
        quiet.logLevel = .warning  // one info line per scrape would fill the journal
        return Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "snowpiped"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.port
                logger.notice("metrics: serving Prometheus metrics on http://\(settings.host):\(port)/metrics")
                await onBound(port)
            },
            logger: quiet)
    }

    /// Reads the outbox gauges, at most every `DaemonMetrics.refreshInterval` (between two reads a scrape gets the
    /// last values); a failed read keeps the previous values (the scrape still answers).
    static func refresh(_ context: DaemonContext) async {
        guard context.metrics.refreshDue(now: context.now()) else { return }
        guard let summaries = try? await context.outbox.summary() else { return }
        context.metrics.refresh(
            summaries, outboxBytes: context.outbox.sizeOnDisk,
            settling: context.settling.withLock { $0 }, now: context.now())
    }
}
