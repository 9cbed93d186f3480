import Foundation
import SnowflakeAuth
import StageStorage

/// Reads the AWS key of an external S3 stage from its source (`ExternalS3.CredentialSource`). Errors name the
/// source and the missing variable, never a value.
enum ExternalCredentials {
    static func read(
        _ source: ExternalS3.CredentialSource,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(SetupError) -> AWSCredentials {
        let values: [String: String]
        let what: String
        switch source {
        case .environment:
            values = environment
            what = "the environment"
        case .file(let path):
            values = try parse(path, what: "credentials file \(path)")
            what = "credentials file \(path)"
        case .credential(let name):
            guard let path = SystemdCredential.path(name, environment: environment) else {
                throw SetupError(
                    "S3 credential \"\(name)\" is configured but $CREDENTIALS_DIRECTORY is not set (add "
                        + "`LoadCredential=\(name):/etc/snowpiped/\(name)` to the service)")
            }
            values = try parse(path, what: "credential \"\(name)\"")
            what = "credential \"\(name)\""
        }
        guard let key = values["AWS_ACCESS_KEY_ID"], key.isEmpty == false,
            let secret = values["AWS_SECRET_ACCESS_KEY"], secret.isEmpty == false
        else {
            throw SetupError("\(what) lacks AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        let token = values["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token)
    }

    /// `NAME=value` lines (blank lines and `#` comments skipped; surrounding quotes removed).
    static func parse(_ path: String, what: String) throws(SetupError) -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SetupError("cannot read the \(what) (\(String(cString: strerror(errno))))")
        }
        var values: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.isEmpty == false, trimmed.hasPrefix("#") == false,
                let equals = trimmed.firstIndex(of: "=")
            else { continue }
            let name = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            values[name] = value
        }
        return values
    }
}
