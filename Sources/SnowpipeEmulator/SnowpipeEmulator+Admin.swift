import Foundation
import StageStorage

extension SnowpipeEmulator {
    /// The counters so far.
    public func statistics() -> EmulatorStats { stats }

    /// How many times each path was named in an accepted insertFiles call for `pipe` (duplicates counted).
    public func receivedPaths(pipe: String) -> [String: Int] { receivedCounts[pipe] ?? [:] }

    /// Replaces the fault plan of an endpoint (nil clears it).
    public func setFaults(_ plan: FaultPlan?, for endpoint: Endpoint) {
        faults[endpoint] = plan
    }

    /// Sets a pipe's execution state (`STOPPED_CLONED` makes every REST endpoint of the pipe answer 400).
    public func setExecutionState(_ state: PipeExecutionState, pipe: String) {
        executionStates[pipe] = state == .running ? nil : state
    }

    /// Replaces a user's registered public keys, as `ALTER USER ... SET RSA_PUBLIC_KEY` does (key rotation).
    public func setPublicKeys(user: String, keys: [String]) throws {
        try authenticator.setUser(user, publicKeys: keys)
    }

    /// The rows of a target table, as text, ordered by file and row number.
    public func rows(of table: String) async throws -> [[String?]] {
        try await tables.rows(of: table)
    }

    /// Files accepted but not loaded yet.
    public var queuedLoads: Int { queue.count }

    /// `/admin/...` (not part of Snowpipe; loopback tooling for tests, the demo and benchmarks):
    /// - `GET /admin/stats`: counters.
    /// - `GET /admin/received?pipe=P`: path -> times received.
    /// - `GET /admin/rows?table=T`: the rows loaded into a table.
    /// - `POST /admin/clock` `{"advanceSeconds":n}` or `{"set":"<ISO-8601>"}` or `{"resume":true}`: move time;
    ///   due loads run before it answers.
    /// - `POST /admin/faults` `{"endpoint":"insertFiles","script":[...],"probability":p,"randomFaults":[...]}`;
    ///   `DELETE /admin/faults` clears all.
    /// - `PUT /admin/pipes/{PIPE}/state` `{"state":"STOPPED_CLONED"|"RUNNING"}`: the pipe's execution state.
    /// - `PUT /admin/users/{USER}/keys` `{"publicKeys":["PEM or base64", ...]}`: key rotation.
    /// - `POST /admin/loads/flush`: run due loads (and streamed commits) now.
    /// - `GET /admin/sessions` (logins and renewals so far); `POST /admin/sessions/expire-tokens` (the next call
    ///   of every session answers 390112) and `/admin/sessions/expire-masters` (renewals answer 390114);
    ///   `GET /admin/stage-material?queryId=Q`: the key a PUT query handed out (tests decrypt with it).
    /// - `GET /admin/channels`, `POST /admin/channels/invalidate`: streaming channels (`handleChannelAdmin`).
    func handleAdmin(_ request: EmulatorRequest) async -> EmulatorResponse {
        let path = request.path
        if let answer = handleChannelAdmin(request) { return answer }
        switch (request.method, path) {
        case ("GET", "/admin/stats"):
            return Self.encoded(stats)
        case ("GET", "/admin/received"):
            return .json(200, (receivedCounts[request.query["pipe"] ?? ""] ?? [:]).mapValues { $0 as Any? })
        case ("GET", "/admin/rows"):
            guard let table = request.query["table"] else { return Self.adminError("missing ?table=") }
            do {
                let rows = try await tables.rows(of: table)
                return .json(200, ["table": table, "rows": rows.map { $0.map { $0 ?? NSNull() as Any } }])
            } catch {
                return Self.adminError("cannot read table \(table): \(error)")
            }
        case ("POST", "/admin/clock"):
            guard let body = JSONValue.parse(request.body), case .object(let object) = body else {
                return Self.adminError("body must be a JSON object")
            }
            if case .string(let text)? = object["set"] {
                guard let date = Timestamp.parse(text) else { return Self.adminError("set: not an ISO-8601 time") }
                clock.set(date)
            }
            switch object["advanceSeconds"] {
            case .integer(let seconds)?: clock.advance(by: Double(seconds))
            case .double(let seconds)?: clock.advance(by: seconds)
            default: break
            }
            if case .bool(true)? = object["resume"] { clock.resume() }
            await flushLoads()
            return .json(200, ["now": Timestamp.format(clock.now()), "manual": clock.isManual])
        case ("POST", "/admin/faults"):
            struct Body: Decodable {
                var endpoint: Endpoint
                var script: [Fault]?
                var probability: Double?
                var randomFaults: [Fault]?
                var seed: UInt64?
            }
            guard let body = try? JSONDecoder().decode(Body.self, from: Data(request.body)) else {
                return Self.adminError(
                    "body must be {\"endpoint\": \(Endpoint.allCases.map(\.rawValue).joined(separator: "|")), "
                        + "\"script\": [...], ...}")
            }
            faults[body.endpoint] = FaultPlan(
                script: body.script ?? [], probability: body.probability ?? 0, randomFaults: body.randomFaults ?? [],
                seed: body.seed ?? 1)
            return .json(200, ["ok": true])
        case ("DELETE", "/admin/faults"):
            faults.removeAll()
            return .json(200, ["ok": true])
        case ("GET", "/admin/sessions"):
            return .json(200, ["logins": sessions.logins, "renewals": sessions.renewals])
        case ("GET", "/admin/stage-material"):
            // Test-only: lets an independent decryptor (the Python connector's) check an uploaded object.
            guard let material = stageMaterials[request.query["queryId"] ?? ""] else {
                return Self.adminError("no encryption material for that queryId")
            }
            return .json(
                200,
                [
                    "queryStageMasterKey": Data(material.masterKey).base64EncodedString(),
                    "queryId": material.queryID, "smkId": material.smkID,
                ])
        case ("POST", "/admin/sessions/expire-tokens"):
            sessions.expireTokens(now: clock.now())
            return .json(200, ["ok": true])
        case ("POST", "/admin/sessions/expire-masters"):
            sessions.expireMasters(now: clock.now())
            return .json(200, ["ok": true])
        case ("POST", "/admin/loads/flush"):
            await flushLoads()
            return .json(200, ["ok": true])
        default:
            if request.method == "PUT", path.hasPrefix("/admin/pipes/"), path.hasSuffix("/state") {
                let pipe = String(path.dropFirst("/admin/pipes/".count).dropLast("/state".count))
                struct Body: Decodable { var state: PipeExecutionState }
                guard pipes[pipe] != nil else { return Self.adminError("no pipe \(pipe)") }
                guard let body = try? JSONDecoder().decode(Body.self, from: Data(request.body)) else {
                    let states = PipeExecutionState.allCases.map(\.rawValue).joined(separator: "|")
                    return Self.adminError("body must be {\"state\": \"\(states)\"}")
                }
                setExecutionState(body.state, pipe: pipe)
                return .json(200, ["ok": true])
            }
            if request.method == "PUT", path.hasPrefix("/admin/users/"), path.hasSuffix("/keys") {
                let user = String(path.dropFirst("/admin/users/".count).dropLast("/keys".count))
                struct Body: Decodable { var publicKeys: [String] }
                guard let body = try? JSONDecoder().decode(Body.self, from: Data(request.body)) else {
                    return Self.adminError("body must be {\"publicKeys\": [\"PEM or base64 DER\", ...]}")
                }
                do {
                    try authenticator.setUser(user, publicKeys: body.publicKeys)
                } catch {
                    return Self.adminError("bad public key: \(error)")
                }
                return .json(200, ["ok": true])
            }
            return .json(404, ["error": "no admin endpoint \(request.method) \(path)"])
        }
    }

    private static func encoded(_ value: some Encodable) -> EmulatorResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return EmulatorResponse(status: 200, headers: ["Content-Type": "application/json"], body: [UInt8](data))
    }

    private static func adminError(_ message: String) -> EmulatorResponse {
        .json(400, ["error": message])
    }
}
