import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOSSL
import SnowpipeEmulator

/// `snowpipe-emulator`: serves a local Snowpipe REST API on loopback. The first line on stdout is the bound URL.
@main
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snowpipe-emulator",
        abstract: "A local Snowpipe REST API (insertFiles, insertReport, loadHistoryScan) for tests and demos.",
        discussion: """
            Prints the bound URL (e.g. http://127.0.0.1:41234) as the first line on stdout, then serves until \
            SIGINT/SIGTERM. The configuration is JSON: account, users (name, publicKeys, pipes) and pipes \
            (name, stageDirectory, table, columns, format, onError, pattern); see config/emulator.example.json.
            """
    )

    @Option(name: .long, help: "Configuration file (JSON).")
    var config: String

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on (0 picks a free one).")
    var port: Int = 0

    @Option(name: .long, help: "Override loadDelaySeconds from the configuration.")
    var loadDelay: Double?

    @Option(name: .long, help: "Serve HTTPS with this certificate chain (PEM, leaf first); needs --tls-key.")
    var tlsCert: String?

    @Option(name: .long, help: "The private key (PEM) of --tls-cert.")
    var tlsKey: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        var configuration: EmulatorConfiguration
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: config))
            configuration = try JSONDecoder().decode(EmulatorConfiguration.self, from: data)
        } catch let error as DecodingError {
            throw ValidationError("\(config): \(Self.describe(error))")
        } catch {
            throw ValidationError("cannot read \(config): \(error.localizedDescription)")
        }
        if let loadDelay { configuration.loadDelaySeconds = loadDelay }
        var logger = Logger(label: "snowpipe-emulator")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let emulator: SnowpipeEmulator
        do {
            emulator = try SnowpipeEmulator(configuration: configuration, logger: logger)
        } catch {
            throw ValidationError("\(config): \(error)")
        }
        var tls: TLSConfiguration?
        switch (tlsCert, tlsKey) {
        case (let certificate?, let key?):
            do {
                tls = try EmulatorServer.tlsConfiguration(certificatePath: certificate, keyPath: key)
            } catch {
                throw ValidationError("cannot use --tls-cert \(certificate) with --tls-key \(key): \(error)")
            }
        case (nil, nil): break
        default: throw ValidationError("--tls-cert and --tls-key go together: give both, or neither for plain HTTP")
        }
        let host = self.host
        let scheme = tls == nil ? "http" : "https"
        let app = try EmulatorServer.makeApplication(
            emulator: emulator, host: host, port: port, tls: tls, logger: logger
        ) { port in
            // Unbuffered: whoever started us reads this line to learn the port.
            FileHandle.standardOutput.write(Data("\(scheme)://\(host):\(port)\n".utf8))
        }
        try await app.runService()
    }

    /// A decoding error as "key path: problem".
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context)).\(key.stringValue): required key is missing"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "\(path(context)): expected \(type) (\(context.debugDescription))"
        case .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
