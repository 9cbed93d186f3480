import Foundation

/// Where the private key's passphrase comes from. Never the configuration file itself.
public enum PassphraseSource: Sendable, Equatable {
    /// No passphrase (the key is not encrypted).
    case none
    /// A systemd credential: the file `$CREDENTIALS_DIRECTORY/<name>` (`LoadCredential=` in the unit).
    case credential(String)
    /// A file readable only by the service (its last trailing newline is ignored).
    case file(String)
    /// An environment variable.
    case environment(String)

    /// Reads the passphrase. The error names the source, never the value.
    public func read(environment: [String: String] = ProcessInfo.processInfo.environment) throws(PassphraseError)
        -> String?
    {
        switch self {
        case .none:
            return nil
        case .credential(let name):
            guard let path = SystemdCredential.path(name, environment: environment) else {
                throw PassphraseError(
                    "passphrase credential \"\(name)\" is configured but $CREDENTIALS_DIRECTORY is not set "
                        + "(add `LoadCredential=\(name):/path/to/passphrase` to the service, or use `file: PATH` or "
                        + "`env: VARIABLE`)")
            }
            return try Self.readFile(path, what: "credential \"\(name)\"")
        case .file(let path):
            return try Self.readFile(path, what: "passphrase file")
        case .environment(let variable):
            guard let value = environment[variable], value.isEmpty == false else {
                throw PassphraseError(
                    "environment variable \(variable), named as the key passphrase source, is not set")
            }
            return value
        }
    }

    private static func readFile(_ path: String, what: String) throws(PassphraseError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PassphraseError("cannot read the \(what) at \(path)")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw PassphraseError("the \(what) at \(path) is not UTF-8 text")
        }
        // "\r\n" is one Character in Swift: one removeLast drops either line ending.
        if text.last == "\n" || text.last == "\r\n" { text.removeLast() }
        guard text.isEmpty == false else { throw PassphraseError("the \(what) at \(path) is empty") }
        return text
    }
}

/// The passphrase could not be read; the message says from where and how to fix it.
public struct PassphraseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
