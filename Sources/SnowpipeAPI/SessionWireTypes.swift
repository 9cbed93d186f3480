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

    /// Reads the `data` object of a successful answer.
    static func decode(_ data: [String: Any]) throws(SessionError) -> PutAnswer {
        guard data["command"] as? String == "UPLOAD", let stage = data["stageInfo"] as? [String: Any],
            let location = stage["location"] as? String, let creds = stage["creds"] as? [String: Any]
        else { throw SessionError(.malformed("the PUT answer has no UPLOAD command, stageInfo or creds")) }
        let material = data["encryptionMaterial"] as? [String: Any]
        return PutAnswer(
            queryID: data["queryId"] as? String ?? "", locationType: stage["locationType"] as? String ?? "",
            location: location, region: stage["region"] as? String ?? "",
            endPoint: (stage["endPoint"] as? String).flatMap { $0.isEmpty ? nil : $0 },
            clientSideEncrypted: stage["isClientSideEncrypted"] as? Bool ?? false,
            awsKeyID: creds["AWS_KEY_ID"] as? String ?? "", awsSecretKey: creds["AWS_SECRET_KEY"] as? String ?? "",
            awsToken: creds["AWS_TOKEN"] as? String ?? "", masterKey: material?["queryStageMasterKey"] as? String,
            materialQueryID: material?["queryId"] as? String, smkID: (material?["smkId"] as? NSNumber)?.int64Value,
            threshold: (data["threshold"] as? NSNumber)?.intValue ?? StageLimits.defaultMultipartThreshold)
    }
}
