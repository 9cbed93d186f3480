import Foundation
import SnowpipeAPI
import SnowpipeEmulator

/// The tests' name for the emulator's in-process transport.
public typealias EmulatorTransport = InProcessTransport

/// Records every request passing through another transport (for asserting what was sent).
public actor RecordingTransport: HTTPTransport {
    public private(set) var requests: [HTTPRequestData] = []
    let inner: any HTTPTransport

    public init(_ inner: any HTTPTransport) { self.inner = inner }

    public func send(_ request: HTTPRequestData) async throws(TransportError) -> HTTPResponseData {
        requests.append(request)
        return try await inner.send(request)
    }
}
