import Foundation
import HTTPSeam

/// An `HTTPTransport` that hands requests straight to an emulator in the same process: no sockets. The tests' rig
/// and the benchmark's replay run the daemon's clients through it. A dropped-connection fault becomes
/// `TransportError.connectionLost`; a delay fault is ignored (time may be virtual).
public struct InProcessTransport: HTTPTransport {
    public let emulator: SnowpipeEmulator

    public init(_ emulator: SnowpipeEmulator) { self.emulator = emulator }

    public func send(_ request: HTTPRequestData) async throws(TransportError) -> HTTPResponseData {
        guard let components = URLComponents(string: request.url) else { throw .other("bad URL \(request.url)") }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        var headers: [String: String] = [:]
        for header in request.headers { headers[header.name] = header.value }
        let response = await emulator.handle(
            EmulatorRequest(
                method: request.method, path: components.path, query: query, headers: headers, body: request.body))
        if response.dropConnection { throw .connectionLost("connection closed by the emulator (injected)") }
        return HTTPResponseData(status: response.status, headers: response.headers, body: response.body)
    }
}
