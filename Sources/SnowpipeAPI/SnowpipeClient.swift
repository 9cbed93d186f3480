import Foundation
import IngestCore

/// The typed Snowpipe REST client: builds each request, signs it with the current token, sends it through
/// the transport, retries as `PipeBackoff` decides (one instance per call), and decodes the answer.
///
/// The same `requestID` is sent on every retry of a call, so Snowflake (and our logs) can tie them together;
/// the caller picks it (for insertFiles: the batch's id, stored before the first attempt).
public struct SnowpipeClient: Sendable {
    /// How calls are retried.
    public struct Retrying: Sendable {
        public var policy: RetryPolicy
        /// Give up after this many attempts (nil: retry for as long as the policy says to, e.g. in the daemon).
        public var maximumAttempts: Int?
        /// Waits between attempts (a real clock in production, a manual one in tests).
        public var sleep: @Sendable (Duration) async throws -> Void
        /// Uniform random numbers in [0, 1) for jitter.
        public var random: @Sendable () -> Double
        /// Told about every retry before its wait (for logs and `sd_notify` status).
        public var onRetry: @Sendable (RetryNotice) -> Void

        public init(
            policy: RetryPolicy = RetryPolicy(),
            maximumAttempts: Int? = 5,
            sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
            random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
            onRetry: @escaping @Sendable (RetryNotice) -> Void = { _ in }
        ) {
            self.policy = policy
            self.maximumAttempts = maximumAttempts
            self.sleep = sleep
            self.random = random
            self.onRetry = onRetry
        }
    }

    /// A retry about to happen: why, and after how long.
    public struct RetryNotice: Sendable {
        public var operation: String
        public var pipe: String
        public var requestID: String
        public var attempt: Int
        public var delay: Duration
        /// The failure being retried.
        public var error: SnowpipeError
    }

    /// `snowpiped/<version>`, sent as `User-Agent`.
    public static let userAgentProduct = "snowpiped"

    public let endpoint: SnowflakeEndpoint
    public let transport: any HTTPTransport
    public let tokens: TokenSource
    public let retrying: Retrying
    public let userAgent: String

    public init(
        endpoint: SnowflakeEndpoint,
        transport: any HTTPTransport,
        tokens: TokenSource,
        retrying: Retrying = Retrying(),
        version: String
    ) {
        self.endpoint = endpoint
        self.transport = transport
        self.tokens = tokens
        self.retrying = retrying
        self.userAgent = SnowflakeRequest.userAgent(version: version)
    }

    /// Registers files with the pipe (≤ 5000; the caller plans batches). Asks for `skippedFiles`.
    public func insertFiles(pipe: String, files: [StagedFile], requestID: String) async throws(SnowpipeError)
        -> InsertFilesResponse
    {
        let body: [UInt8]
        do {
            body = Array(try JSONEncoder().encode(InsertFilesRequest(files: files)))
        } catch {
            throw SnowpipeError(
                kind: .malformedResponse("cannot encode the request: \(error)"), operation: "insertFiles",
                pipe: pipe, requestID: requestID)
        }
        let url = endpoint.insertFilesURL(pipe: pipe, requestID: requestID, showSkippedFiles: true)
        return try await call("insertFiles", pipe: pipe, requestID: requestID, method: "POST", url: url, body: body)
    }

    /// Reads the pipe's recent load events after `beginMark` (nil: the last 10 minutes).
    public func insertReport(pipe: String, beginMark: String?, requestID: String = UUID().uuidString.lowercased())
        async throws(SnowpipeError) -> InsertReportResponse
    {
        let url = endpoint.insertReportURL(pipe: pipe, requestID: requestID, beginMark: beginMark)
        return try await call("insertReport", pipe: pipe, requestID: requestID, method: "GET", url: url, body: [])
    }

    /// Reads the pipe's load history in [start, end) (ISO-8601 UTC strings; nil end: now).
    public func loadHistoryScan(
        pipe: String, start: String, end: String?, requestID: String = UUID().uuidString.lowercased()
    ) async throws(SnowpipeError) -> LoadHistoryScanResponse {
        let url = endpoint.loadHistoryScanURL(pipe: pipe, requestID: requestID, start: start, end: end)
        return try await call("loadHistoryScan", pipe: pipe, requestID: requestID, method: "GET", url: url, body: [])
    }

    private func call<Response: Decodable>(
        _ operation: String, pipe: String, requestID: String, method: String, url: String, body: [UInt8]
    ) async throws(SnowpipeError) -> Response {
        func failure(_ kind: SnowpipeError.Kind, attempts: Int, envelope: SnowflakeErrorBody? = nil) -> SnowpipeError {
            SnowpipeError(
                kind: kind, operation: operation, pipe: pipe, requestID: requestID, code: envelope?.code,
                message: envelope?.message, attempts: attempts)
        }
        var token: String
        do {
            token = try await tokens.current()
        } catch {
            throw failure(.authentication("\(error)"), attempts: 0)
        }
        var backoff = PipeBackoff(policy: retrying.policy)
        // The call's own time line for the backoff's instants: seconds waited so far.
        var waited = 0.0
        var attempts = 0
        while true {
            attempts += 1
            var attemptError: SnowpipeError
            do {
                let response = try await transport.send(
                    SnowflakeRequest.make(
                        method, url: url, credential: .keyPairJWT(token), userAgent: userAgent,
                        contentType: method == "POST" ? "application/json" : nil, body: body))
                if (200..<300).contains(response.status) {
                    // Report answers are read by JSONScanner where it can; JSONDecoder has the last word.
                    if let scanned = (Response.self as? any ScannedAnswer.Type)?.scan(response.body) as? Response {
                        return scanned
                    }
                    do {
                        return try JSONDecoder().decode(Response.self, from: Data(response.body))
                    } catch {
                        attemptError = failure(
                            .malformedResponse("HTTP \(response.status) with a body that is not the expected JSON"),
                            attempts: attempts)
                    }
                } else {
                    let envelope = SnowflakeRequest.envelope(response.body)
                    var httpError = failure(.http(status: response.status), attempts: attempts, envelope: envelope)
                    httpError.serverDate = response.headers["date"]
                    httpError.retryAfter = RetryPolicy.parseRetryAfter(response.headers["retry-after"])
                    attemptError = httpError
                }
            } catch let transportError {
                attemptError = failure(.transport(transportError), attempts: attempts)
            }
            attemptError.renewedToken = backoff.renewedToken
            switch backoff.record(attemptError.outcome, now: waited, random: retrying.random()) {
            case .renewTokenAndRetry:
                do {
                    token = try await tokens.renew()
                } catch {
                    throw failure(.authentication("\(error)"), attempts: attempts)
                }
            case .retry(let at):
                if let maximum = retrying.maximumAttempts, attempts >= maximum { throw attemptError }
                let delay = Duration.milliseconds(Int64(((at - waited) * 1000).rounded()))
                retrying.onRetry(
                    RetryNotice(
                        operation: operation, pipe: pipe, requestID: requestID, attempt: attempts, delay: delay,
                        error: attemptError))
                do {
                    try await retrying.sleep(delay)
                } catch {
                    throw failure(.transport(.other("cancelled while waiting to retry")), attempts: attempts)
                }
                waited = at
            // .done is unreachable: a success returned above.
            case .done, .refused, .splitBatch, .rejectFile, .paused, .pipeRefused:
                throw attemptError
            }
        }
    }
}
