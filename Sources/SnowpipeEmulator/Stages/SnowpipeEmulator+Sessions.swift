import Codecs
import Foundation
import IngestCore
import Logging
import SnowpipeHTTPClient
import StageStorage

/// The drivers' session protocol, as far as a `PUT` into an internal stage needs it (reference/
/// internal-stage-notes.md §1, §2, §8): key-pair login, renewal, heartbeat, logout, telemetry, and
/// `query-request` for `PUT`, which answers with the stage's S3 location, temporary credentials minted with STS
/// on the stage storage, and per-query encryption material for SNOWFLAKE_FULL stages. Application errors are
/// HTTP 200 with `success: false` and Snowflake's code, as the drivers expect.
extension SnowpipeEmulator {
    /// Default multipart threshold handed to PUT clients (`data.threshold`), Snowflake's 200 MiB.
    public static let defaultPutThresholdBytes = StageLimits.defaultMultipartThreshold

    func handleSession(_ request: EmulatorRequest) async -> EmulatorResponse {
        var body = request.body
        if request.header("content-encoding")?.lowercased() == "gzip" {
            guard let plain = try? Gzip.decompress(body) else { return Self.failure("390400", "bad gzip body") }
            body = plain
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        let now = clock.now()
        switch (request.method, request.path) {
        case ("POST", "/session/v1/login-request"):
            return login(object["data"] as? [String: Any] ?? [:], now: now)
        case ("POST", "/session/token-request"):
            guard let master = Self.sessionToken(request) else { return Self.failure("390114", "no master token") }
            switch sessions.renew(master: master, oldToken: object["oldSessionToken"] as? String ?? "", now: now) {
            case .failure(let refusal): return Self.failure(refusal.code, refusal.message)
            case .success(let session):
                return Self.success([
                    "sessionToken": session.token, "validityInSecondsST": Int(SessionRegistry.tokenSeconds),
                    "masterToken": session.master, "validityInSecondsMT": Int(SessionRegistry.masterSeconds),
                    "sessionId": session.id,
                ])
            }
        case ("POST", "/session/heartbeat"):
            if case .failure(let refusal) = session(request, now: now) {
                return Self.failure(refusal.code, refusal.message)
            }
            return Self.success(nil)
        case ("POST", "/session"):
            if request.query["delete"] == "true", let token = Self.sessionToken(request) {
                sessions.close(token: token)
            }
            return Self.success(nil)
        case ("POST", "/telemetry/send"):
            return Self.success("Log Received")
        case ("POST", "/queries/v1/query-request"):
            switch session(request, now: now) {
            case .failure(let refusal): return Self.failure(refusal.code, refusal.message)
            case .success: return await runQuery(object["sqlText"] as? String ?? "")
            }
        default:
            return .snowflakeError(404, code: VendorCode.objectNotFound, message: "Not found: \(request.path)")
        }
    }

    /// The `CLIENT_APP_ID`s of Snowflake's own drivers: the Python connector's `PythonConnector`
    /// (`description.py`: `CLIENT_NAME = "PythonConnector"  # don't change!`), gosnowflake's `Go`, JDBC's `JDBC`,
    /// ODBC's `ODBC` and the Node.js driver's `JavaScript` (`reference/internal-stage-notes.md` §1.1,
    /// `fidelity-facts.md`). Whether Snowflake refuses another id is not verifiable offline; the emulator refuses it
    /// so that a client cannot pass here with an id the real service may not know.
    static let knownClientAppIDs: Set<String> = ["PythonConnector", "Go", "JDBC", "ODBC", "JavaScript"]

    /// A key-pair login, checked as the drivers' login body is built (`fidelity-facts.md`, "Driver login"):
    /// `ACCOUNT_NAME` is the account cut at its first dot (the connector's `parse_account`: `xy12345.us-east-2.aws`
    /// logs in as `xy12345`), naming this account; `LOGIN_NAME`, when sent (Go omits it for JWT), is the token's
    /// user; `CLIENT_APP_ID` is a driver's id; the JWT verifies. Each refusal is Snowflake's generic 390100.
    private func login(_ data: [String: Any], now: Date) -> EmulatorResponse {
        guard data["AUTHENTICATOR"] as? String == "SNOWFLAKE_JWT", let token = data["TOKEN"] as? String else {
            return Self.failure("390100", "Incorrect username or password was specified.")
        }
        let principal: (user: String, pipes: Set<String>)
        switch authenticator.verify(token, now: now) {
        case .failure: return Self.failure(VendorCode.invalidJWT, "JWT token is invalid.")
        case .success(let value): principal = value
        }
        guard let accountName = data["ACCOUNT_NAME"] as? String, accountName.contains(".") == false,
            accountName.uppercased() == authenticator.account
        else {
            return Self.failure(
                "390100",
                "Incorrect username or password was specified. (emulator: ACCOUNT_NAME must be the account name cut "
                    + "at its first dot, \(authenticator.account), not "
                    + "\(String(describing: data["ACCOUNT_NAME"] ?? "nothing")))")
        }
        guard let appID = data["CLIENT_APP_ID"] as? String, Self.knownClientAppIDs.contains(appID) else {
            return Self.failure(
                "390100",
                "Incorrect username or password was specified. (emulator: CLIENT_APP_ID "
                    + "\(String(describing: data["CLIENT_APP_ID"] ?? "missing")) is not a Snowflake driver's id)")
        }
        let tokenUser = principal.user.split(separator: ".").last.map { $0.uppercased() } ?? ""
        if let loginName = data["LOGIN_NAME"] as? String, loginName.uppercased() != tokenUser {
            return Self.failure(
                "390100",
                "Incorrect username or password was specified. (emulator: LOGIN_NAME is not the token's user)")
        }
        let session = sessions.login(user: principal.user, now: now)
        return Self.success([
            "token": session.token, "validityInSeconds": Int(SessionRegistry.tokenSeconds),
            "masterToken": session.master, "masterValidityInSeconds": Int(SessionRegistry.masterSeconds),
            "sessionId": session.id, "displayUserName": principal.user, "serverVersion": "9.0.0-emulator",
            "firstLogin": false, "healthCheckInterval": 45, "parameters": [[String: Any]](),
            "sessionInfo": [
                "databaseName": NSNull(), "schemaName": NSNull(), "warehouseName": NSNull(), "roleName": "PUBLIC",
            ],
        ])
    }

    private func session(_ request: EmulatorRequest, now: Date) -> Result<
        SessionRegistry.Session, SessionRegistry.Refusal
    > {
        guard let token = Self.sessionToken(request) else { return .failure(.invalidToken) }
        return sessions.session(token: token, now: now)
    }

    /// Runs a `PUT` (the only statement the emulator knows).
    private func runQuery(_ sql: String) async -> EmulatorResponse {
        // Unique across restarts: a query id names the key its objects were encrypted with.
        let queryID = "01c0ffee-" + UUID().uuidString.lowercased()
        guard let parsed = PutStatement.parse(sql) else {
            return Self.failure(
                "001003", "SQL compilation error: the emulator runs only PUT statements", queryID: queryID)
        }
        let statement: PutStatement
        switch parsed {
        case .failure(let invalid):
            return Self.failure("001003", "SQL compilation error: \(invalid.message)", queryID: queryID)
        case .success(let value): statement = value
        }
        let name = statement.stage.replacingOccurrences(of: "\"", with: "").uppercased()
        guard let stage = stages[name], let storage = configuration.stageStorage else {
            return Self.failure(
                VendorCode.objectNotFound,
                "SQL compilation error:\nStage '\(name)' does not exist or not authorized.", queryID: queryID)
        }
        guard stage.encryption != .none else {
            return Self.failure(
                "091003",
                "Failure using stage area. Cause: [GET and PUT commands are not supported with external stage]",
                queryID: queryID)
        }
        let credentials: AWSCredentials
        do {
            credentials = try await mintCredentials(storage, for: "snowflake-put")
        } catch {
            return Self.failure("000603", "Processing aborted due to error 300002:\(error)", queryID: queryID)
        }
        var material: [String: Any]? = nil
        if stage.encryption == .full {
            var generator = SystemRandomNumberGenerator()
            let key = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let smkID = Int64.random(in: 1...Int64(Int32.max), using: &generator)
            let issued = StageEncryptionMaterial(masterKey: key, queryID: queryID, smkID: smkID)
            do {
                try tables.rememberStageMaterial(issued)
            } catch {
                return Self.failure(
                    "000603", "cannot store the query's encryption material: \(error)", queryID: queryID)
            }
            stageMaterials[queryID] = issued
            material = ["queryStageMasterKey": Data(key).base64EncodedString(), "queryId": queryID, "smkId": smkID]
        }
        let path = statement.subPath.isEmpty ? "" : statement.subPath + "/"
        let stageInfo: [String: Any] = [
            "locationType": "S3", "location": "\(storage.bucket)/\(stage.keyPrefix)\(path)", "path": path,
            "region": storage.region, "endPoint": NSNull(), "storageAccount": NSNull(),
            "isClientSideEncrypted": stage.encryption == .full, "useS3RegionalUrl": false, "presignedUrl": NSNull(),
            "creds": [
                "AWS_KEY_ID": credentials.accessKeyID, "AWS_SECRET_KEY": credentials.secretAccessKey,
                "AWS_TOKEN": credentials.sessionToken ?? "", "AWS_ID": credentials.accessKeyID,
                "AWS_KEY": credentials.secretAccessKey,
            ],
        ]
        return Self.success([
            "command": "UPLOAD", "src_locations": [statement.sourcePath], "parallel": statement.parallel,
            "threshold": configuration.putThresholdBytes, "autoCompress": statement.autoCompress,
            "sourceCompression": statement.sourceCompression, "overwrite": statement.overwrite,
            "clientShowEncryptionParameter": true, "queryId": queryID,
            "encryptionMaterial": material ?? NSNull(), "stageInfo": stageInfo, "uploadInfo": stageInfo,
            "kind": NSNull(), "operation": "Node", "rowtype": [[String: Any]](), "rowset": [[String]](),
        ])
    }

    /// `Authorization: Snowflake Token="<token>"`.
    static func sessionToken(_ request: EmulatorRequest) -> String? {
        guard let header = request.header("authorization"), let open = header.range(of: "Token=\"") else { return nil }
        let rest = header[open.upperBound...]
        guard let close = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<close])
    }

    static func success(_ data: Any?) -> EmulatorResponse {
        .json(200, ["data": data ?? NSNull(), "code": nil, "message": nil, "success": true])
    }

    static func failure(_ code: String, _ message: String, queryID: String? = nil) -> EmulatorResponse {
        let data: Any = queryID.map { ["queryId": $0, "sqlState": code == "002003" ? "02000" : "42000"] } ?? NSNull()
        return .json(200, ["data": data, "code": code, "message": message, "success": false])
    }

    /// The stage storage's S3 endpoint (path-style).
    static func storageEndpoint(_ storage: StageStorageSettings) -> S3Endpoint {
        let url = URL(string: storage.endpoint)
        return S3Endpoint(
            scheme: url?.scheme ?? "http", host: url?.host ?? "127.0.0.1", port: url?.port, pathStyle: true)
    }

    static func admin(_ storage: StageStorageSettings) -> AWSCredentials {
        AWSCredentials(accessKeyID: storage.accessKeyID, secretAccessKey: storage.secretAccessKey)
    }

    /// Temporary credentials for the stage storage, as Snowflake hands clients (STS AssumeRole of the
    /// configured role); a failure is logged here.
    func mintCredentials(_ storage: StageStorageSettings, for session: String) async throws(S3Error) -> AWSCredentials {
        do {
            return try await stageS3(storage).assumeRole(
                roleARN: storage.roleARN, sessionName: session, credentials: Self.admin(storage))
        } catch {
            logger.error("cannot mint stage credentials", metadata: ["for": "\(session)", "error": "\(error)"])
            throw error
        }
    }

    nonisolated func stageS3(_ storage: StageStorageSettings) -> S3Client {
        S3Client(endpoint: Self.storageEndpoint(storage), region: storage.region, transport: stageTransport)
    }
}
