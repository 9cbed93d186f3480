import Foundation

/// A session call that failed: Snowflake's code and message when it answered, what to do in `hint`.
public struct SessionError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Snowflake answered `success: false` with this code (002003: no such stage; 390144: key refused…).
        case refused(code: String)
        /// A non-200 HTTP status.
        case http(Int)
        /// No answer.
        case transport(TransportError)
        /// A 200 that is not the JSON expected.
        case malformed(String)
        /// No login JWT could be made.
        case authentication(String)
    }

    public var kind: Kind
    public var message: String?
    public var operation = ""

    public init(_ kind: Kind, message: String? = nil) {
        self.kind = kind
        self.message = message
    }

    /// True when waiting and trying again may help (no answer, 429/5xx).
    public var isTransient: Bool {
        switch kind {
        case .transport: return true
        case .http(let status): return status == 408 || status == 429 || status >= 500
        default: return false
        }
    }

    public var description: String {
        var text = operation.isEmpty ? "" : operation + ": "
        switch kind {
        case .refused(let code):
            text += "Snowflake refused it (code \(code))"
            switch code {
            case "002003": text += ": the stage does not exist or the user's default role may not write to it"
            case "390144": text += ": the key-pair login was refused (wrong key, user or account)"
            default: break
            }
        case .http(let status): text += "HTTP \(status)"
        case .transport(let error): text += "no answer (\(error))"
        case .malformed(let detail): text += "unreadable answer (\(detail))"
        case .authentication(let detail): text += "no login token (\(detail))"
        }
        if let message, message.isEmpty == false { text += ": \(message)" }
        return text
    }
}
