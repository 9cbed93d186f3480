import Codecs
import Foundation
import SnowflakeAuth
import SnowpipeEmulator
import SnowpipeHTTPClient
import StageStorage
import TestSupport
import Testing

/// The drivers' session protocol and PUT into internal stages, with moto (signatures checked) as the stage
/// storage: login, query-request PUT, the upload a driver does with the answer, insertFiles, and the load that
/// reads the object back, decrypts it and checks its digest.
@Suite("Internal stages: session, PUT and loading from S3", .serialized)
struct InternalStageTests {
    static let columns = [
        PipeDefinition.Column(name: "ID", type: .number), PipeDefinition.Column(name: "NAME", type: .varchar),
    ]

    func withEmulator(_ body: @Sendable (EmulatorFixture, MotoS3) async throws -> Void) async throws {
        try await MotoS3.withServer { moto in
            let database = TemporaryDirectory("stage-memory")
            defer { withExtendedLifetime(database) {} }
            let fixture = try EmulatorFixture { configuration in
                configuration.databasePath = database.path + "/emulator.sqlite"
                configuration.stageStorage = StageStorageSettings(
                    endpoint: moto.endpoint, region: moto.region, bucket: moto.bucket,
                    accessKeyID: moto.admin.accessKeyID, secretAccessKey: moto.admin.secretAccessKey,
                    roleARN: moto.roleARN)
                configuration.stages = [
                    StageDefinition(name: "DB.S.FULL_STAGE"), StageDefinition(name: "DB.S.SSE_STAGE", encryption: .sse),
                ]
                for (pipe, stage) in [("DB.S.FULL_PIPE", "DB.S.FULL_STAGE"), ("DB.S.SSE_PIPE", "DB.S.SSE_STAGE")] {
                    configuration.pipes.append(
                        PipeDefinition(
                            name: pipe, stageDirectory: "", table: "DB.S.STAGED", columns: Self.columns,
                            format: .init(type: .csv, skipHeader: 1), stage: stage))
                    configuration.users[0].pipes.append(pipe)
                }
            }
            try await body(fixture, moto)
        }
    }

    func call(
        _ fixture: EmulatorFixture, _ path: String, token: String? = nil, query: [String: String] = [:],
        _ body: [String: Any]
    ) async throws -> [String: Any] {
        var headers = ["Content-Type": "application/json"]
        if let token { headers["Authorization"] = "Snowflake Token=\"\(token)\"" }
        let response = await fixture.emulator.handle(
            EmulatorRequest(
                method: "POST", path: path, query: query, headers: headers,
                body: Array(try JSONSerialization.data(withJSONObject: body))))
        #expect(response.status == 200)
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    func login(_ fixture: EmulatorFixture) async throws -> String {
        let answer = try await call(
            fixture, "/session/v1/login-request",
            [
                "data": [
                    "AUTHENTICATOR": "SNOWFLAKE_JWT", "TOKEN": fixture.token(), "ACCOUNT_NAME": "myorg-myacct",
                    "CLIENT_APP_ID": "PythonConnector",
                ]
            ])
        #expect(answer["success"] as? Bool == true)
        let data = try #require(answer["data"] as? [String: Any])
        return try #require(data["token"] as? String)
    }

    @Test func aPutIntoAnEncryptedStageThenInsertFilesLoadsTheDecryptedRows() async throws {
        try await withEmulator { fixture, moto in
            let token = try await login(fixture)
            let answer = try await call(
                fixture, "/queries/v1/query-request", token: token,
                [
                    "sqlText":
                        "PUT 'file:///tmp/orders 1.csv.gz' @db.s.full_stage/2026/12 SOURCE_COMPRESSION=GZIP AUTO_COMPRESS = FALSE"
                ])
            #expect(answer["success"] as? Bool == true, "\(answer)")
            let data = try #require(answer["data"] as? [String: Any])
            #expect(data["command"] as? String == "UPLOAD")
            #expect(data["src_locations"] as? [String] == ["/tmp/orders 1.csv.gz"])
            #expect(data["autoCompress"] as? Bool == false)
            #expect(data["sourceCompression"] as? String == "gzip")
            let stageInfo = try #require(data["stageInfo"] as? [String: Any])
            #expect(stageInfo["isClientSideEncrypted"] as? Bool == true)
            let location = try #require(stageInfo["location"] as? String)
            #expect(location == "\(moto.bucket)/stages/db.s.full_stage/2026/12/")
            let creds = try #require(stageInfo["creds"] as? [String: String])
            let material = try #require(data["encryptionMaterial"] as? [String: Any])
            let masterKey = try #require(Data(base64Encoded: material["queryStageMasterKey"] as? String ?? ""))
            #expect(masterKey.count == 16)

            // What a driver does with the answer: gzip, digest, encrypt, upload with the temporary credentials.
            let gzipped = Gzip.compress(Array("ID,NAME\n1,a\n2,b\n".utf8))
            let (ciphertext, envelope) = try StageEnvelope.encrypt(
                gzipped,
                material: StageEncryptionMaterial(
                    masterKey: Array(masterKey), queryID: material["queryId"] as? String ?? "",
                    smkID: (material["smkId"] as? NSNumber)?.int64Value ?? 0))
            let transport = try AsyncHTTPTransport()
            let s3 = S3Client(
                endpoint: S3Endpoint(scheme: "http", host: "127.0.0.1", port: moto.port, pathStyle: true),
                region: stageInfo["region"] as? String ?? "", transport: transport)
            let temporary = AWSCredentials(
                accessKeyID: creds["AWS_KEY_ID"] ?? "", secretAccessKey: creds["AWS_SECRET_KEY"] ?? "",
                sessionToken: creds["AWS_TOKEN"])
            #expect(temporary.accessKeyID.hasPrefix("ASIA"), "STS minted temporary credentials")
            let prefix = String(location.dropFirst(moto.bucket.count + 1))
            try await s3.put(
                bucket: moto.bucket, key: prefix + "orders 1.csv.gz", body: ciphertext,
                metadata: envelope.merging(["sfc-digest": Data(SHA256Digest.hash(gzipped)).base64EncodedString()]) {
                    $1
                }, credentials: temporary)
            try await transport.shutdown()

            // An emulator restart in between: the key its PUT handed out is remembered.
            let fixture = try fixture.restarted()
            let accepted = await fixture.insertFiles(["2026/12/orders 1.csv.gz"], pipe: "DB.S.FULL_PIPE")
            #expect(accepted.status == 200, "\(accepted.text)")
            await fixture.emulator.advanceClock(by: 11)
            let rows = try await fixture.emulator.rows(of: "DB.S.STAGED")
            #expect(rows.map { $0[0] } == ["1", "2"], "\(rows)")
        }
    }

    /// (SQL text, the source path the answer echoes and the end of the stage location, or nil when refused).
    static let statements: [(String, String?, String?)] = [
        (
            #"PUT 'file:///tmp/it\'s.csv' '@DB.S.FULL_STAGE/dir with space/it\'s' PARALLEL=1"#, "/tmp/it's.csv",
            "/dir with space/it's/"
        ),
        ("PUT 'file:///tmp/a''b.csv' '@DB.S.FULL_STAGE/x'", "/tmp/a'b.csv", "/x/"),
        (#"PUT 'file:///tmp/back\\slash.csv' @DB.S.FULL_STAGE/ü日本"#, #"/tmp/back\slash.csv"#, "/ü日本/"),
        (
            #"PUT file:///tmp/plain.csv '@DB.S.FULL_STAGE/semi;colon/pct%20' AUTO_COMPRESS=FALSE"#, "/tmp/plain.csv",
            "/semi;colon/pct%20/"
        ),
        // A bare target ends at the space: the rest of the path is not an option.
        ("PUT file:///tmp/a.csv @DB.S.FULL_STAGE/dir with space", nil, nil),
        // A quote in a bare target, and a literal never closed.
        ("PUT file:///tmp/a.csv @DB.S.FULL_STAGE/it's", nil, nil),
        ("PUT 'file:///tmp/a.csv @DB.S.FULL_STAGE", nil, nil),
    ]

    @Test(arguments: statements)
    func aPutIsParsedAsSnowflakeParsesItsLiterals(sql: String, source: String?, location: String?) async throws {
        try await withEmulator { fixture, _ in
            let token = try await login(fixture)
            let answer = try await call(fixture, "/queries/v1/query-request", token: token, ["sqlText": sql])
            guard let source, let location else {
                #expect(answer["success"] as? Bool == false, "\(answer)")
                #expect(answer["code"] as? String == "001003", "\(answer)")
                return
            }
            #expect(answer["success"] as? Bool == true, "\(answer)")
            let data = try #require(answer["data"] as? [String: Any])
            #expect(data["src_locations"] as? [String] == [source])
            let stageInfo = try #require(data["stageInfo"] as? [String: Any])
            #expect((stageInfo["location"] as? String)?.hasSuffix(location) == true, "\(stageInfo)")
        }
    }

    @Test func anUnknownStageAnswers002003AndAnExpiredSessionAnswers390112() async throws {
        try await withEmulator { fixture, _ in
            let token = try await login(fixture)
            let unknown = try await call(
                fixture, "/queries/v1/query-request", token: token, ["sqlText": "PUT file:///a.csv @DB.S.NOPE"])
            #expect(unknown["success"] as? Bool == false)
            #expect(unknown["code"] as? String == "002003")
            #expect(
                (unknown["message"] as? String)?.contains("Stage 'DB.S.NOPE' does not exist or not authorized") == true)
            fixture.clock.advance(by: 3601)
            let expired = try await call(
                fixture, "/queries/v1/query-request", token: token, ["sqlText": "PUT file:///a.csv @DB.S.SSE_STAGE"])
            #expect(expired["code"] as? String == "390112")

        }
    }

    @Test func aLoginWithAWrongKeyAnswers390144() async throws {
        try await withEmulator { fixture, _ in
            let answer = try await call(
                fixture, "/session/v1/login-request",
                ["data": ["AUTHENTICATOR": "SNOWFLAKE_JWT", "TOKEN": fixture.token(key: TestKeys.secondary)]])
            #expect(answer["success"] as? Bool == false)
            #expect(answer["code"] as? String == "390144")
        }
    }
}
