import Foundation
import IngestCore

/// The answer to a `PUT` through `query-request`: where to upload and with what (reference/
/// internal-stage-notes.md §2.2). Only what the upload uses is decoded.
public struct PutAnswer: Sendable, Equatable {
    public var queryID: String
    /// `S3` (the only one supported), `AZURE`, `GCS`, `LOCAL_FS`.
    public var locationType: String
    /// `bucket/prefix/` including the PUT's sub-path.
    public var location: String
    public var region: String
    /// FIPS / PrivateLink endpoint, when the stage has one.
    public var endPoint: String?
    public var clientSideEncrypted: Bool
    public var awsKeyID: String
    public var awsSecretKey: String
    public var awsToken: String
    /// Encryption material (client-side encrypted stages): base64 master key, its query id and smk id.
    public var masterKey: String?
    public var materialQueryID: String?
    public var smkID: Int64?
    /// The multipart threshold the server suggests, bytes.
    public var threshold: Int

    public init(
        queryID: String, locationType: String, location: String, region: String, endPoint: String?,
        clientSideEncrypted: Bool, awsKeyID: String, awsSecretKey: String, awsToken: String, masterKey: String?,
        materialQueryID: String?, smkID: Int64?, threshold: Int
    ) {
        self.queryID = queryID
        self.locationType = locationType
        self.location = location
        self.region = region
        self.endPoint = endPoint
        self.clientSideEncrypted = clientSideEncrypted
        self.awsKeyID = awsKeyID
        self.awsSecretKey = awsSecretKey
        self.awsToken = awsToken
        self.masterKey = masterKey
        self.materialQueryID = materialQueryID
        self.smkID = smkID
        self.threshold = threshold
    }

    /// The bucket and the key prefix (ending in `/`, or empty) of `location`.
    public var bucketAndPrefix: (bucket: String, prefix: String) {
        guard let slash = location.firstIndex(of: "/") else { return (location, "") }
        var prefix = String(location[location.index(after: slash)...])
        if prefix.isEmpty == false, prefix.hasSuffix("/") == false { prefix += "/" }
        return (String(location[..<slash]), prefix)
    }

    /// The answer's `data` as the upload uses it.
    init(_ data: PutPayload) throws(SessionError) {
        guard data.command == "UPLOAD", let stage = data.stageInfo else {
            throw SessionError(.malformed("the PUT answer has no UPLOAD command or stageInfo"))
        }
        let material = data.encryptionMaterial
        self.init(
            queryID: data.queryId ?? "", locationType: stage.locationType ?? "", location: stage.location,
            region: stage.region ?? "", endPoint: stage.endPoint.flatMap { $0.isEmpty ? nil : $0 },
            clientSideEncrypted: stage.isClientSideEncrypted ?? false, awsKeyID: stage.creds.keyID ?? "",
            awsSecretKey: stage.creds.secretKey ?? "", awsToken: stage.creds.token ?? "",
            masterKey: material?.queryStageMasterKey, materialQueryID: material?.queryId, smkID: material?.smkId,
            threshold: data.threshold ?? StageLimits.defaultMultipartThreshold)
    }
}

/// The `data` of a `PUT`'s `query-request` answer: only the fields the upload reads (the connector's
/// `SnowflakeFileTransferAgent` reads the same ones).
struct PutPayload: Decodable {
    struct StageInfo: Decodable {
        struct Credentials: Decodable {
            var keyID: String?
            var secretKey: String?
            var token: String?

            enum CodingKeys: String, CodingKey {
                case keyID = "AWS_KEY_ID"
                case secretKey = "AWS_SECRET_KEY"
                case token = "AWS_TOKEN"
            }
        }

        var locationType: String?
        var location: String
        var region: String?
        var endPoint: String?
        var isClientSideEncrypted: Bool?
        var creds: Credentials
    }

    struct Material: Decodable {
        var queryStageMasterKey: String?
        var queryId: String?
        var smkId: Int64?
    }

    var command: String?
    var queryId: String?
    var threshold: Int?
    var stageInfo: StageInfo?
    var encryptionMaterial: Material?
}

/// Every driver-session answer: `{"success", "code", "message", "data"}`. `data` is read only from a successful
/// answer (a refusal's `data` holds other things, e.g. `sqlState`); `code` is a string in Snowflake's answers, a
/// number is accepted too.
struct SessionAnswer<Payload: Decodable>: Decodable {
    var success: Bool
    var code: String?
    var message: String?
    var data: Payload?

    enum CodingKeys: String, CodingKey { case success, code, message, data }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        success = try c.decodeIfPresent(Bool.self, forKey: .success) ?? false
        code = c.decodeFlexibleCode(forKey: .code)
        message = try? c.decodeIfPresent(String.self, forKey: .message)
        data = success ? try c.decodeIfPresent(Payload.self, forKey: .data) : nil
    }
}

/// `data` of a login answer.
struct LoginPayload: Decodable {
    var token: String
    var masterToken: String
}

/// `data` of a session renewal answer.
struct RenewalPayload: Decodable {
    var sessionToken: String
    var masterToken: String?
}

/// An answer whose `data` is not read.
struct IgnoredPayload: Decodable {}

/// `POST /session/v1/login-request`: the connector's key-pair login body (`fidelity-facts.md`, "Driver login").
struct LoginRequest: Encodable {
    struct Environment: Encodable {
        var application: String
        var os = "Linux"
        var osVersion = ""
        var ocspMode = "FAIL_OPEN"

        enum CodingKeys: String, CodingKey {
            case application = "APPLICATION"
            case os = "OS"
            case osVersion = "OS_VERSION"
            case ocspMode = "OCSP_MODE"
        }
    }

    struct Body: Encodable {
        var accountName: String
        var loginName: String
        var authenticator = "SNOWFLAKE_JWT"
        var token: String
        var clientAppID: String
        var clientAppVersion: String
        var clientEnvironment: Environment
        var sessionParameters: [String: String] = [:]

        enum CodingKeys: String, CodingKey {
            case accountName = "ACCOUNT_NAME"
            case loginName = "LOGIN_NAME"
            case authenticator = "AUTHENTICATOR"
            case token = "TOKEN"
            case clientAppID = "CLIENT_APP_ID"
            case clientAppVersion = "CLIENT_APP_VERSION"
            case clientEnvironment = "CLIENT_ENVIRONMENT"
            case sessionParameters = "SESSION_PARAMETERS"
        }
    }

    var data: Body
}

/// `POST /queries/v1/query-request`: one synchronous statement.
struct QueryRequest: Encodable {
    var sqlText: String
    var asyncExec = false
    var sequenceId: Int
    var isInternal = false
    var parameters: [String: String] = [:]
    var queryContextDTO: [String: String] = [:]
}

/// `POST /session/token-request`: renew the session token with the master token.
struct RenewalRequest: Encodable {
    var oldSessionToken: String
    var requestType = "RENEW"
}

/// `POST /session?delete=true`: an empty object.
struct LogoutRequest: Encodable {}
