import Foundation

/// An S3 answer that is not a success, classified for what the caller does next. S3 puts the reason in an XML
/// body (`<Error><Code>…</Code><Message>…</Message>`), except on HEAD, which has no body.
public struct S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the caller should do about it.
    public enum Kind: Sendable, Equatable {
        /// The temporary credentials expired (`ExpiredToken`): fetch fresh ones (re-run the PUT statement).
        case expiredCredentials
        /// Throttling or a server error (503 SlowDown, 500, 502, 504, 408, 429): back off and retry.
        case retryable
        /// Wrong key, signature or token (403, `InvalidToken`): retrying the same request cannot help.
        case refused
        /// Anything else: the request itself is wrong.
        case failed
    }

    public var kind: Kind
    /// HTTP status, 0 when no answer arrived.
    public var status: Int
    /// S3's error code (`ExpiredToken`, `SlowDown`, `SignatureDoesNotMatch`…), when the body had one.
    public var code: String?
    public var message: String?
    /// What was being done: `PUT sfc-stage/a.csv.gz`.
    public var operation: String

    public init(kind: Kind, status: Int, code: String?, message: String?, operation: String) {
        self.kind = kind
        self.status = status
        self.code = code
        self.message = message
        self.operation = operation
    }

    public var description: String {
        let detail = [code, message].compactMap { $0 }.joined(separator: ": ")
        return "\(operation): HTTP \(status)\(detail.isEmpty ? "" : " \(detail)")"
    }

    /// Classifies an answer from its status and XML body.
    public static func from(status: Int, body: [UInt8], operation: String) -> S3Error {
        let text = String(decoding: body, as: UTF8.self)
        let code = element("Code", in: text)
        let message = element("Message", in: text)
        let kind: Kind
        switch (status, code) {
        case (_, "ExpiredToken"): kind = .expiredCredentials
        case (_, "SlowDown"), (_, "InternalError"), (_, "ServiceUnavailable"), (_, "RequestTimeout"):
            kind = .retryable
        case (408, _), (429, _), (500...599, _): kind = .retryable
        case (403, _), (_, "InvalidToken"), (_, "InvalidAccessKeyId"), (_, "SignatureDoesNotMatch"):
            kind = .refused
        default: kind = .failed
        }
        return S3Error(kind: kind, status: status, code: code, message: message, operation: operation)
    }

    /// The text of the first `<name>…</name>` in `xml`.
    static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"),
            let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex)
        else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
    }
}
