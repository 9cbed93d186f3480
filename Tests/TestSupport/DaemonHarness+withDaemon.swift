import Foundation
import SnowpipeEmulator

extension DaemonHarness {
    /// What `withDaemon` does before the daemon starts: changes to the emulator's configuration, then anything to
    /// prepare once the emulator exists (a value, so that a call passes its body as the only closure).
    public struct Setup {
        public var adjust: (inout EmulatorConfiguration) -> Void
        public var prepare: (DaemonHarness) async throws -> Void

        public init(
            adjust: @escaping (inout EmulatorConfiguration) -> Void = { _ in },
            prepare: @escaping (DaemonHarness) async throws -> Void = { _ in }
        ) {
            self.adjust = adjust
            self.prepare = prepare
        }
    }

    /// One end-to-end run, the set-up every daemon test shares: an emulator (changed by `adjust`) served live on
    /// loopback, the daemon configured for it (the arguments are `configure(port:…)`'s) and started until READY,
    /// then `body`. `setup.prepare` runs before the emulator serves (faults, files present at start). The body stops
    /// the daemon itself when it asserts the exit status; a daemon still running when the body ends or throws is
    /// killed, so a failed test never leaves one behind.
    public static func withDaemon<T: Sendable>(
        _ setup: Setup = Setup(),
        pipe: String = "DB.S.CSV_PIPE", extra: String = "", watchExtra: String = "", settleSeconds: Double = 0.5,
        requestTimeoutSeconds: Double = 60, start: Bool = true,
        _ body: @Sendable (DaemonHarness) async throws -> T
    ) async throws -> T {
        let harness = try DaemonHarness(adjust: setup.adjust)
        try await setup.prepare(harness)
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
