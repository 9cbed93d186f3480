import IngestCore

/// A Snowpipe call that did not succeed, with everything an operator needs: the operation, the pipe, the
/// requestId to quote to Snowflake support, the HTTP status and Snowflake's own code and message, and a hint.
/// Never contains a token or key material.
public struct SnowpipeError: Error, Sendable, CustomStringConvertible {
    /// What went wrong at the protocol level.
    public enum Kind: Sendable, Equatable {
        /// A non-2xx answer.
        case http(status: Int)
        /// No answer.
        case transport(TransportError)
        /// A 2xx whose body was not the JSON expected.
        case malformedResponse(String)
        /// No token could be made (key problem).
        case authentication(String)
    }

    public var kind: Kind
    /// `insertFiles`, `insertReport` or `loadHistoryScan`.
    public var operation: String
    public var pipe: String
    public var requestID: String
    /// Snowflake's vendor code from the error envelope, e.g. `390144`.
    public var code: String?
    /// Snowflake's message from the error envelope.
    public var message: String?
    /// Attempts made before giving up.
    public var attempts: Int
    /// The server's `Retry-After`, when it sent one.
    public var retryAfter: Duration?
    /// The server's `Date` header of the failing answer, if any (to detect clock skew behind a 401).
    public var serverDate: String?
    /// The client renewed the token for this request before it failed (a 401 now means the key is refused).
    public var renewedToken = false

    public init(
        kind: Kind, operation: String, pipe: String, requestID: String, code: String? = nil,
        message: String? = nil, attempts: Int = 1
    ) {
        self.kind = kind
        self.operation = operation
        self.pipe = pipe
        self.requestID = requestID
        self.code = code
        self.message = message
        self.attempts = attempts
    }

    /// The HTTP status, when there was an answer.
    public var status: Int? {
        if case .http(let status) = kind { return status }
        return nil
    }

    /// Snowflake cannot have acted on the request: it answered with a 4xx, or no request was sent (no token).
    /// A 5xx or no answer at all may come after the request took effect.
    public var registeredNothing: Bool {
        switch kind {
        case .http(let status): return (400..<500).contains(status)
        case .authentication: return true
        case .transport, .malformedResponse: return false
        }
    }

    /// The answer as the retry rules (`PipeBackoff`) see it: the one mapping from errors to outcomes.
    public var outcome: AttemptOutcome {
        switch kind {
        case .http(let status): return .status(status, retryAfter: retryAfter)
        case .malformedResponse: return .unreadableBody
        case .transport, .authentication: return .noAnswer
        }
    }

    /// What the operator should do about it.
    public var hint: String {
        switch kind {
        case .http(let status):
            switch status {
            case 400:
                return "Snowflake refused the request: a file's path it will not take, a malformed request, or the "
                    + "pipe's own state (a pipe in STOPPED_CLONED answers 400: check SYSTEM$PIPE_STATUS('\(pipe)') "
                    + "and resume or recreate it); no file is rejected unless the pipe accepts other files"
            case 401:
                return "the JWT was refused: check that account and user are right (the token uppercases them), "
                    + "that the public key registered with ALTER USER ... SET RSA_PUBLIC_KEY matches this key's "
                    + "fingerprint, and that this machine's clock is correct"
            case 403:
                return "the user's default role lacks a privilege on the pipe: GRANT OPERATE (insertFiles) and "
                    + "MONITOR (reports) ON PIPE \(pipe)"
            case 404:
                return "pipe \(pipe) does not exist or is not visible to the user's default role: check the fully "
                    + "qualified, case-sensitive name and the grants"
            case 415:
                return "the server did not accept the content type (a proxy in the way?)"
            case 408, 429:
                return "Snowflake is rate limiting or timing out; retrying with backoff"
            case 500..<600:
                return "Snowflake (or a proxy) had an internal error; retrying with backoff"
            default:
                return "unexpected HTTP status"
            }
        case .transport(let error):
            switch error {
            case .unresolvableHost(let host):
                return "host \(host) does not resolve: check the account identifier (and `host` in the config) and DNS"
            case .connectFailed:
                return "cannot connect: check the network, proxies and firewall"
            case .tls:
                return "TLS failed: check the system's CA certificates and any TLS-intercepting proxy"
            case .timeout:
                return "no answer in time: check the network; retrying"
            case .connectionLost, .other:
                return "the connection failed; retrying"
            }
        case .malformedResponse:
            return "the answer was not Snowpipe JSON (a proxy or captive portal in the way?)"
        case .authentication:
            return "fix the private key configuration"
        }
    }

    public var description: String {
        var parts = ["\(operation) on pipe \(pipe) failed"]
        switch kind {
        case .http(let status): parts.append("HTTP \(status)")
        case .transport(let error): parts.append("no answer (\(error))")
        case .malformedResponse(let detail): parts.append("unreadable answer (\(detail))")
        case .authentication(let detail): parts.append("no token (\(detail))")
        }
        if let code { parts.append("code \(code)") }
        if let message { parts.append("\"\(message)\"") }
        parts.append("requestId \(requestID)")
        if attempts > 1 { parts.append("after \(attempts) attempts") }
        return parts.joined(separator: ", ") + ": " + hint
    }
}
