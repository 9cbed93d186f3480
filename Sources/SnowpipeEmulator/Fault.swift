import Foundation

/// One injected misbehaviour for one request.
///
/// JSON form (admin API): `{"status":429,"retryAfter":"2"}`, `{"status":503}`, `{"drop":true}`,
/// `{"malformedBody":true}`, `{"truncatedBody":true}`, `{"delayMs":1500}`, `{"pass":true}`; add
/// `"afterProcessing":true` to apply the request first and then misbehave (the response is lost after the
/// server acted: the case that makes clients repeat a request that already took effect).
public struct Fault: Codable, Sendable, Equatable {
    /// Answer with this status (and the matching error envelope) instead of the real answer.
    public var status: Int?
    /// `Retry-After` header value sent with `status`.
    public var retryAfter: String?
    /// Delay the answer by this many milliseconds.
    public var delayMs: Int?
    /// Close the connection without answering.
    public var drop: Bool?
    /// Answer 200 with a body that is not JSON.
    public var malformedBody: Bool?
    /// Process the request and answer with the first half of the real body (a connection cut mid-answer).
    public var truncatedBody: Bool?
    /// Let the request through untouched (a script step that does nothing).
    public var pass: Bool?
    /// Process the request, then apply the fault to the answer.
    public var afterProcessing: Bool?
    /// The error body's `code` with `status` (e.g. `ERR_CHANNEL_MUST_BE_REOPENED`), instead of the status's default.
    public var code: String?
    /// The error body's `message` with `status`.
    public var message: String?

    public init(
        status: Int? = nil,
        retryAfter: String? = nil,
        delayMs: Int? = nil,
        drop: Bool? = nil,
        malformedBody: Bool? = nil,
        truncatedBody: Bool? = nil,
        pass: Bool? = nil,
        afterProcessing: Bool? = nil,
        code: String? = nil,
        message: String? = nil
    ) {
        self.status = status
        self.retryAfter = retryAfter
        self.delayMs = delayMs
        self.drop = drop
        self.malformedBody = malformedBody
        self.truncatedBody = truncatedBody
        self.pass = pass
        self.afterProcessing = afterProcessing
        self.code = code
        self.message = message
    }

    /// A plain status fault.
    public static func status(_ code: Int, retryAfter: String? = nil) -> Fault {
        Fault(status: code, retryAfter: retryAfter)
    }
    /// A status fault with the error body's own code (and message).
    public static func status(_ status: Int, code: String, message: String? = nil) -> Fault {
        Fault(status: status, code: code, message: message)
    }
    /// A dropped connection.
    public static let drop = Fault(drop: true)
    /// A 200 with a non-JSON body.
    public static let malformed = Fault(malformedBody: true)
    /// No fault.
    public static let none = Fault(pass: true)

    /// Turns the real answer (or nil, when the request was not processed) into the faulty one; error answers use
    /// the endpoint's own envelope.
    func apply(to real: EmulatorResponse?, streaming: Bool = false) -> EmulatorResponse {
        var response: EmulatorResponse
        if pass == true, let real {
            response = real
        } else if let status {
            if let code {
                let text = message ?? "Injected error \(code)."
                response =
                    streaming
                    ? StreamingError(status: status, code: code, message: text).response
                    : .snowflakeError(status, code: code, message: text)
            } else {
                response = streaming ? Self.streamingErrorResponse(status) : Self.errorResponse(status)
            }
            if let retryAfter { response.headers["Retry-After"] = retryAfter }
        } else if truncatedBody == true, let real {
            response = real
            response.body = Array(real.body.prefix(real.body.count / 2))
        } else if malformedBody == true {
            response = EmulatorResponse(
                status: 200, headers: ["Content-Type": "application/json"],
                body: Array("<html><body>upstream proxy error</body></html>".utf8))
        } else if let real {
            response = real
        } else {
            response = EmulatorResponse(status: 200)
        }
        if drop == true { response.dropConnection = true }
        if let delayMs { response.delay = .milliseconds(delayMs) }
        return response
    }

    /// True when the fault replaces the answer without the request being processed.
    var preventsProcessing: Bool {
        if pass == true || afterProcessing == true { return false }
        return status != nil || drop == true || malformedBody == true
    }

    static func errorResponse(_ status: Int) -> EmulatorResponse {
        switch status {
        case 429:
            return .snowflakeError(429, code: VendorCode.rateLimited, message: "Too many requests. Please retry later.")
        case 401:
            return .snowflakeError(401, code: VendorCode.invalidJWT, message: "JWT token is invalid.")
        case 400..<500:
            return .snowflakeError(status, code: VendorCode.invalidRequest, message: "Injected client error.")
        default:
            return .snowflakeError(status, code: VendorCode.internalError, message: "Internal error (injected).")
        }
    }
}

extension Fault {
    /// An injected error in the Snowpipe Streaming `{"code","message"}` envelope.
    static func streamingErrorResponse(_ status: Int) -> EmulatorResponse {
        switch status {
        case 429:
            return StreamingError(
                status: 429, code: "ERR_TOO_MANY_REQUESTS", message: "Too many requests. Please retry later."
            ).response
        case 401:
            return StreamingError.unauthorized("Authentication failed (injected).").response
        case 400..<500:
            return StreamingError(status: status, code: "ERR_INVALID_REQUEST", message: "Injected client error.")
                .response
        default:
            return StreamingError(status: status, code: "ERR_INTERNAL_ERROR", message: "Internal error (injected).")
                .response
        }
    }
}

/// The faults planned for one endpoint: an exact script consumed in order, then random faults.
public struct FaultPlan: Codable, Sendable {
    /// Faults for the next requests, one each, in order.
    public var script: [Fault]
    /// Probability (0...1) that a request past the script gets one of `randomFaults`.
    public var probability: Double
    /// The faults drawn from (uniformly) when the probability hits.
    public var randomFaults: [Fault]
    /// Seed for the draw, so runs are repeatable.
    public var seed: UInt64

    public init(script: [Fault] = [], probability: Double = 0, randomFaults: [Fault] = [], seed: UInt64 = 1) {
        self.script = script
        self.probability = probability
        self.randomFaults = randomFaults
        self.seed = seed
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            script: try c.decodeIfPresent([Fault].self, forKey: .script) ?? [],
            probability: try c.decodeIfPresent(Double.self, forKey: .probability) ?? 0,
            randomFaults: try c.decodeIfPresent([Fault].self, forKey: .randomFaults) ?? [],
            seed: try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1
        )
    }

    /// The fault for the next request, if any; consumes a script step or a random draw.
    mutating func next() -> Fault? {
        if script.isEmpty == false { return script.removeFirst() }
        guard probability > 0, randomFaults.isEmpty == false else { return nil }
        if nextUnit() < probability {
            return randomFaults[Int(nextUnit() * Double(randomFaults.count)) % randomFaults.count]
        }
        return nil
    }

    /// SplitMix64 in [0, 1).
    private mutating func nextUnit() -> Double {
        seed &+= 0x9E37_79B9_7F4A_7C15
        var z = seed
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}

/// Endpoints faults can target.
public enum Endpoint: String, Codable, Sendable, CaseIterable {
    /// The Snowpipe REST API (files).
    case insertFiles, insertReport, loadHistoryScan
    /// The Snowpipe Streaming REST API: account host.
    case hostname, scopedToken
    /// The Snowpipe Streaming REST API: ingest host.
    case pipeInfo, openChannel, appendRows, dropChannel, channelStatus
}
