import SnowpipeHTTPClient
import Synchronization

extension SnowpipeEmulator {
    /// One transport per CA bundle for the stage storage, made once per process and never shut down, like
    /// `AsyncHTTPTransport.sharedBulk` (an emulator has no shutdown of its own; a test may build many).
    private static let bulkTransports = Mutex<[String: AsyncHTTPTransport]>([:])

    /// The bulk transport (whole objects, 30 minutes an exchange) that trusts the CA bundle at `path`.
    static func bulkTransport(trusting path: String) throws -> AsyncHTTPTransport {
        try bulkTransports.withLock { transports in
            if let transport = transports[path] { return transport }
            let transport = try AsyncHTTPTransport(
                caCertificatePath: path, requestTimeout: .seconds(1800), maximumResponseBytes: 16 << 30)
            transports[path] = transport
            return transport
        }
    }
}
