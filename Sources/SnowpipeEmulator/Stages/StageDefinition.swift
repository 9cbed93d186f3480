import Foundation

/// A named internal stage: `CREATE STAGE DB.SCHEMA.NAME ENCRYPTION = (TYPE = 'SNOWFLAKE_FULL' | 'SNOWFLAKE_SSE')`.
public struct StageDefinition: Codable, Sendable, Equatable {
    /// Client-side encryption with per-query keys (Snowflake's default), or server-side only; `NONE` models an
    /// external S3 stage (`URL = 's3://bucket/prefix/'`): objects are plain, written by the client with its own
    /// credentials, and `PUT` into it is refused (091003) as Snowflake does.
    public enum Encryption: String, Codable, Sendable {
        case full = "SNOWFLAKE_FULL"
        case sse = "SNOWFLAKE_SSE"
        case none = "NONE"
    }

    /// Fully qualified, case-sensitive name, e.g. `MYDB.PUBLIC.INGEST_STAGE`.
    public var name: String
    public var encryption: Encryption
    /// Key prefix of the stage's objects in the bucket, ending in `/` (default `stages/<name>/`).
    public var prefix: String?

    public init(name: String, encryption: Encryption = .full, prefix: String? = nil) {
        self.name = name
        self.encryption = encryption
        self.prefix = prefix
    }

    /// The table stage of `table` (`DB.SCHEMA.TABLE`): `DB.SCHEMA.%TABLE`, client-side encrypted.
    public static func tableStage(of table: String) -> StageDefinition {
        var parts = table.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        parts[parts.count - 1] = "%" + parts[parts.count - 1]
        return StageDefinition(name: parts.joined(separator: "."), encryption: .full)
    }

    /// The prefix, normalised to end in `/`.
    var keyPrefix: String {
        let text = prefix ?? "stages/\(name.lowercased())/"
        return text.hasSuffix("/") ? text : text + "/"
    }
}

/// The S3 server behind the emulator's internal stages, and how to mint a PUT's temporary credentials.
public struct StageStorageSettings: Codable, Sendable, Equatable {
    /// `http://127.0.0.1:PORT` (path-style: moto) .
    public var endpoint: String
    public var region: String
    /// Named `sfc-…` like Snowflake's internal-stage buckets (drivers skip the accelerate probe for those).
    public var bucket: String
    /// A key with full access: the emulator reads staged objects back with it when loading.
    public var accessKeyID: String
    public var secretAccessKey: String
    /// The role whose temporary credentials a PUT hands out (STS AssumeRole).
    public var roleARN: String
    /// A PEM CA bundle to trust for an `https://` endpoint (a test CA); the system store when absent. The
    /// streaming SDK's file mode reaches the stage over HTTPS only, so its tests serve S3 with a test CA.
    public var caFile: String?

    public init(
        endpoint: String, region: String, bucket: String, accessKeyID: String, secretAccessKey: String,
        roleARN: String, caFile: String? = nil
    ) {
        self.caFile = caFile
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.roleARN = roleARN
    }
}
