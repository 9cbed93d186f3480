import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SnowpipeEmulator

/// Runs an emulator behind its real Hummingbird server on 127.0.0.1 and a free port for the duration of `body`.
public enum LiveEmulator {
    /// Serves `emulator`, calls `body` with the base URL (`http://127.0.0.1:PORT`), then shuts the server down.
    /// `port` 0 picks a free one; a restarted emulator is served on the port of the one it replaces.
    public static func withServer<T: Sendable>(
        _ emulator: SnowpipeEmulator,
        port requestedPort: Int = 0,
        _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "test-emulator")
        logger.logLevel = .warning
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = try EmulatorServer.makeApplication(emulator: emulator, port: requestedPort, logger: logger) { port in
            continuation.yield(port)
        }
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            do {
                let result = try await body("http://127.0.0.1:\(port)")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }
}
