import Foundation
import SnowpipeEmulator

extension DaemonHarness {
    /// One end-to-end run, the set-up every daemon test shares: an emulator (changed by `adjust`) served live on
    /// loopback, the daemon configured for it (the arguments are `configure(port:…)`'s) and started until READY,
    /// then `body`. `prepare` runs before the emulator serves (faults, files present at start). The body stops
    /// the daemon itself when it asserts the exit status; a daemon still running when the body ends or throws is
    /// killed, so a failed test never leaves one behind.
    public static func withDaemon<T: Sendable>(
        adjust: (inout EmulatorConfiguration) -> Void = { _ in },
        pipe: String = "DB.S.CSV_PIPE", extra: String = "", watchExtra: String = "", settleSeconds: Double = 0.5,
        requestTimeoutSeconds: Double = 60, start: Bool = true,
        prepare: (DaemonHarness) async throws -> Void = { _ in },
        _ body: @Sendable (DaemonHarness) async throws -> T
    ) async throws -> T {
        let harness = try DaemonHarness(adjust: adjust)
        try await prepare(harness)
        return try await LiveEmulator.withServer(harness.fixture.emulator) { base in
            defer { if harness.isRunning { harness.signal(SIGKILL) } }
            try harness.configure(
                port: Int(base.split(separator: ":").last!)!, pipe: pipe, extra: extra, watchExtra: watchExtra,
                settleSeconds: settleSeconds, requestTimeoutSeconds: requestTimeoutSeconds)
            if start { try await harness.startAndWaitUntilReady() }
            return try await body(harness)
        }
    }
}
