import Foundation
import IngestCore
import Logging

/// The Snowpipe Streaming v2 REST API (`../shared/reference/snowpipe-streaming-rest-api.txt`), as the official
/// SDK 1.9.1 speaks it (`../shared/reference/protocol-notes.md` §3).
///
/// The account host's endpoints (hostname, token exchange) take key-pair JWTs only; the ingest host's (pipe
/// info, channels, rows, status) take only scoped tokens (`X-Snowflake-Authorization-Token-Type: OAUTH`, or no
/// type). Every error answers `{"code","message"}`; hostname and token answer bare text, as the SDK needs.
extension SnowpipeEmulator {
    func handleStreaming(_ request: EmulatorRequest, route: StreamingRoute) async -> EmulatorResponse {
        stats.apiRequests += 1
        stats.streamingRequests += 1
        let fault = faults[route.endpoint]?.next()
        if let fault, fault.pass != true { stats.faultsInjected += 1 }
        if let fault, fault.preventsProcessing {
            logger.debug("injected fault", metadata: ["endpoint": "\(route.endpoint)", "fault": "\(fault)"])
            return count(fault.apply(to: nil, streaming: true))
        }
        let response: EmulatorResponse
        do {
            response = try await processStreaming(request, route: route, now: clock.now())
        } catch {
            response = error.response
        }
        return count(fault.map { $0.apply(to: response, streaming: true) } ?? response)
    }

    private func processStreaming(
        _ request: EmulatorRequest, route: StreamingRoute, now: Date
    ) async throws(StreamingError) -> EmulatorResponse {
        if route.isAccountEndpoint {
            let principal = try authenticateAccount(request, now: now)
            switch route {
            case .hostname:
                return .text(200, configuration.streamingHostname)
            default:
                return try exchangeToken(request, user: principal.user, pipes: principal.pipes, now: now)
            }
        }
        let grant = try authenticateIngest(request, now: now)
        switch route {
        case .pipeInfo(let name):
            return await pipeInfo(try resolvePipe(name, grant: grant), now: now)
        case .openChannel(let name, let channel):
            return try openChannel(request, pipe: try resolvePipe(name, grant: grant), channel: channel, now: now)
        case .appendRows(let name, let channel):
            return try appendRows(request, pipe: try resolvePipe(name, grant: grant), channel: channel, now: now)
        case .appendFileFragments(let name, let channel):
            return try await appendFileFragments(
                request, pipe: try resolvePipe(name, grant: grant), channel: channel, now: now)
        case .dropChannel(let name, let channel):
            return try dropChannel(request, pipe: try resolvePipe(name, grant: grant), channel: channel)
        case .channelStatus(let name):
            return try channelStatus(request, pipe: try resolvePipe(name, grant: grant))
        case .hostname, .scopedToken:
            throw .notFound
        }
    }

    // MARK: Authentication

    private func authenticateAccount(
        _ request: EmulatorRequest, now: Date
    ) throws(StreamingError) -> (user: String, pipes: Set<String>) {
        if request.header("x-snowflake-authorization-token-type")?.uppercased() == "OAUTH" {
            throw .unauthorized(
                "A scoped token is accepted only on the ingest host's endpoints; this endpoint needs a key-pair JWT")
        }
        switch authenticator.authenticate(request, now: now) {
        case .success(let principal): return principal
        case .failure(let refusal):
            logger.info("refused token", metadata: ["reason": "\(refusal)"])
            var error = StreamingError.unauthorized("JWT token is invalid.")
            if case .missing = refusal {
                error = .unauthorized("Missing or invalid Authorization header: send `Bearer <key-pair JWT>`")
            }
            throw error
        }
    }

    private func authenticateIngest(_ request: EmulatorRequest, now: Date) throws(StreamingError) -> ScopedTokens.Grant
    {
        if let type = request.header("x-snowflake-authorization-token-type"), type.uppercased() != "OAUTH" {
            throw .unauthorized(
                "The ingest host accepts only scoped tokens (token type OAUTH), not \(type): exchange the key-pair "
                    + "JWT for a scoped token at POST /oauth/token on the account host")
        }
        guard let header = request.header("authorization") else {
            throw .unauthorized("Missing Authorization header: send `Bearer <scoped token>`")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .unauthorized("The Authorization header is not `Bearer <scoped token>`")
        }
        return try scopedTokens.grant(for: parts[1].trimmingCharacters(in: .whitespaces), now: now).get()
    }

    /// `POST /oauth/token`: `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&scope=<ingest host>`.
    private func exchangeToken(
        _ request: EmulatorRequest, user: String, pipes: Set<String>, now: Date
    ) throws(StreamingError) -> EmulatorResponse {
        var components = URLComponents()
        components.percentEncodedQuery = String(decoding: request.body, as: UTF8.self)
            .replacingOccurrences(of: "+", with: "%20")
        var form: [String: String] = [:]
        for item in components.queryItems ?? [] { form[item.name] = item.value ?? "" }
        guard form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" else {
            throw StreamingError(
                status: 400, code: "ERR_INVALID_GRANT_TYPE",
                message: "grant_type must be urn:ietf:params:oauth:grant-type:jwt-bearer (form-encoded body)")
        }
        // The scope is the ingest host with `_` turned into `-`, as the SDK (`replace_underscore_with_dash_in_host`)
        // and the tutorial use it: a host name with `_` is not a valid DNS name (`reference/fidelity-facts.md`).
        let host = configuration.streamingHostname.lowercased().replacingOccurrences(of: "_", with: "-")
        guard let scope = form["scope"]?.lowercased(), scope == host else {
            throw StreamingError(
                status: 400, code: "ERR_INVALID_SCOPE",
                message: "scope must be the ingest host name that GET /v2/streaming/hostname returns, with `_` "
                    + "replaced by `-` (\(host))")
        }
        stats.scopedTokensIssued += 1
        return .text(200, scopedTokens.mint(user: user, pipes: pipes, scope: host, now: now))
    }

    // MARK: Pipes

    /// The pipe a path names (case-insensitively), or the table's default streaming pipe `<TABLE>-STREAMING`.
    private func resolvePipe(
        _ name: StreamingRoute.PipeName, grant: ScopedTokens.Grant
    ) throws(StreamingError) -> PipeDefinition {
        let wanted = name.description.uppercased()
        var found = pipes.values.first { $0.name.uppercased() == wanted }
        if let classic = found, classic.kind == .classic, grant.pipes.contains(classic.name) {
            throw StreamingError(
                status: 400, code: "ERR_PIPE_KIND_NOT_SUPPORTED",
                message: "Pipe \(classic.name) is a classic pipe (COPY INTO … FROM @stage): it takes files through "
                    + "insertFiles, not rows through channels. Use a streaming pipe, or the table's default "
                    + "streaming pipe <TABLE>-STREAMING. (emulator: no source gives Snowflake's exact answer)")
        }
        if found == nil, name.pipe.uppercased().hasSuffix("-STREAMING") {
            // The table's default streaming pipe: a pipe of this database and schema into `<TABLE>`.
            let table = String(name.pipe.uppercased().dropLast("-STREAMING".count))
            let schema = "\(name.database).\(name.schema)".uppercased()
            found = pipes.values.sorted { $0.name < $1.name }.first { pipe in
                let parts = pipe.table.uppercased().split(separator: ".").map(String.init)
                let tableSchema =
                    parts.count == 3 ? "\(parts[0]).\(parts[1])" : Self.nameParts(pipe.name.uppercased()).schemaPath
                return parts.last == table && tableSchema == schema
            }
        }
        guard let pipe = found, grant.pipes.contains(pipe.name) else { throw .pipeNotFound(name.description) }
        return pipe
    }

    // MARK: Channels

    /// The key of a channel: its pipe and its name, case-insensitively (a unit separator between them: SQLite
    /// text, where the key is stored, must not hold NUL).
    static func channelKey(pipe: String, channel: String) -> String { pipe + "\u{1F}" + channel.uppercased() }

    private func openChannel(
        _ request: EmulatorRequest, pipe: PipeDefinition, channel name: String, now: Date
    ) throws(StreamingError) -> EmulatorResponse {
        let body = try Self.jsonObject(request, allowEmpty: true)
        var offsetToken: String?
        switch body["offset_token"] {
        case .string(let token)?: offsetToken = token
        case nil, .null?: break
        default: throw .invalidRequest("offset_token must be a string")
        }
        var failOnUncommitted = false
        switch body["fail_on_uncommitted_rows"] {
        case .bool(let value)?: failOnUncommitted = value
        case nil, .null?: break
        default: throw .invalidRequest("fail_on_uncommitted_rows must be a boolean")
        }
        let key = Self.channelKey(pipe: pipe.name, channel: name)
        let sequencer = nextClientSequencer
        if channels[key] != nil {
            try channels[key]!.reopen(
                clientSequencer: sequencer, offsetToken: offsetToken, failOnUncommittedRows: failOnUncommitted)
        } else {
            channels[key] = StreamingChannel(
                pipe: pipe.name, name: name, createdOnMs: Int64((now.timeIntervalSince1970 * 1000).rounded()),
                clientSequencer: sequencer, offsetToken: offsetToken)
        }
        nextClientSequencer += 1
        let channel = channels[key]!
        do {
            try tables.saveChannels([(key, channel)], nextClientSequencer: nextClientSequencer)
        } catch {
            logger.error("cannot remember the channel", metadata: ["channel": "\(name)", "error": "\(error)"])
        }
        return .json(
            200,
            [
                "next_continuation_token": channel.continuationToken.description,
                "channel_status": status(of: channel, errorCountKeys: ["rows_error_count"]),
            ])
    }

    private func appendRows(
        _ request: EmulatorRequest, pipe: PipeDefinition, channel name: String, now: Date
    ) throws(StreamingError) -> EmulatorResponse {
        let key = Self.channelKey(pipe: pipe.name, channel: name)
        let token = try currentToken(request, channel: name, pipe: pipe)
        let rows = try RowsPayload.rows(body: request.body, contentEncoding: request.header("content-encoding"))
        let offsetToken =
            request.query["endOffsetToken"]
            ?? (configuration.ignoresBareOffsetToken ? nil : request.query["offsetToken"])
        let next = try channels[key]!.append(
            token: token, rows: rows, offsetToken: offsetToken, now: now,
            commitAt: now.addingTimeInterval(configuration.streamingCommitDelaySeconds))
        stats.streamingAppends += 1
        wakeup.signal()
        return .json(200, ["next_continuation_token": next.description])
    }

    /// The request's `continuationToken`, if it is the channel's current one.
    func currentToken(
        _ request: EmulatorRequest, channel name: String, pipe: PipeDefinition
    ) throws(StreamingError) -> ContinuationToken {
        guard let channel = channels[Self.channelKey(pipe: pipe.name, channel: name)] else {
            throw .channelNotFound(name, pipe: pipe.name)
        }
        guard let text = request.query["continuationToken"], text.isEmpty == false else {
            throw .missingContinuationToken
        }
        guard let token = ContinuationToken(text) else { throw .invalidContinuationToken(text) }
        guard token == channel.continuationToken, channel.isUsable else {
            throw .staleContinuationToken
        }
        return token
    }

    private func dropChannel(
        _ request: EmulatorRequest, pipe: PipeDefinition, channel name: String
    ) throws(StreamingError) -> EmulatorResponse {
        let key = Self.channelKey(pipe: pipe.name, channel: name)
        guard let channel = channels[key] else { throw .channelNotFound(name, pipe: pipe.name) }
        let body = try Self.jsonObject(request, allowEmpty: true)
        if case .bool(true)? = body["fail_on_uncommitted_rows"], channel.inFlight.isEmpty == false {
            throw .uncommittedData
        }
        channels[key] = nil
        do {
            try tables.deleteChannel(key: key)
        } catch {
            logger.error("cannot forget the dropped channel", metadata: ["channel": "\(name)", "error": "\(error)"])
        }
        return .json(200, [:])
    }

    /// `:bulk-channel-status`: names match exactly (case-sensitive); unknown channels are left out. Each answer is
    /// keyed by the name as requested, or by its canonical upper-case form with `canonicalChannelNames`.
    private func channelStatus(
        _ request: EmulatorRequest, pipe: PipeDefinition
    ) throws(StreamingError) -> EmulatorResponse {
        let body = try Self.jsonObject(request, allowEmpty: false)
        guard case .array(let names)? = body["channel_names"] else {
            throw .invalidRequest("The body must be {\"channel_names\": [\"name\", ...]}")
        }
        var statuses: [String: Any?] = [:]
        for case .string(let name) in names {
            guard let channel = channels[Self.channelKey(pipe: pipe.name, channel: name)], channel.name == name else {
                continue
            }
            statuses[configuration.canonicalChannelNames ? name.uppercased() : name] = status(
                of: channel, errorCountKeys: ["rows_error_count", "rows_errors"])
        }
        return .json(200, ["channel_statuses": statuses])
    }

    /// A channel's status object. The reference names the error count `rows_error_count` on open and
    /// `rows_errors` in bulk status; bulk status sends both.
    private func status(of channel: StreamingChannel, errorCountKeys: [String]) -> [String: Any?] {
        let parts = Self.nameParts(channel.pipe)
        let counters = channel.counters
        var status: [String: Any?] = [
            "database_name": parts.database, "schema_name": parts.schema, "pipe_name": parts.pipe,
            "channel_name": channel.name, "channel_status_code": channel.statusCode,
            "last_committed_offset_token": channel.committedOffsetToken, "created_on_ms": channel.createdOnMs,
            "rows_inserted": counters.rowsInserted, "rows_parsed": counters.rowsParsed,
            "last_error_offset_upper_bound": counters.lastErrorOffsetUpperBound,
            "last_error_message": counters.lastErrorMessage, "last_error_timestamp": counters.lastErrorTimestampMs,
            "snowflake_avg_processing_latency_ms": counters.averageLatencyMs,
        ]
        for key in errorCountKeys { status[key] = counters.rowsErrorCount }
        return status
    }

    // MARK: Helpers

    static func nameParts(_ name: String) -> (database: String, schema: String, pipe: String, schemaPath: String) {
        let parts = name.split(separator: ".", maxSplits: 2).map(String.init)
        guard parts.count == 3 else { return ("", "", name, "") }
        return (parts[0], parts[1], parts[2], parts[0] + "." + parts[1])
    }

    /// The request's JSON object body, decoded first according to its `Content-Encoding`, which the API page lists
    /// among the headers of every endpoint ("Request headers": gzip, zstd), not only the append.
    static func jsonObject(_ request: EmulatorRequest, allowEmpty: Bool) throws(StreamingError) -> [String: JSONValue] {
        let body = try RowsPayload.decode(request.body, encoding: request.header("content-encoding"))
        if body.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
            if allowEmpty { return [:] }
            throw .invalidRequest("The request needs a JSON body")
        }
        guard case .object(let object)? = JSONValue.parse(body) else {
            throw .invalidRequest("The body is not a JSON object")
        }
        return object
    }
}
