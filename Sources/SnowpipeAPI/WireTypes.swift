import Foundation

/// One file in an insertFiles body: the path relative to the pipe's stage location, and its size in bytes.
public struct StagedFile: Codable, Sendable, Equatable {
    public var path: String
    public var size: Int64?

    public init(path: String, size: Int64?) {
        self.path = path
        self.size = size
    }
}

/// The insertFiles JSON body.
public struct InsertFilesRequest: Codable, Sendable, Equatable {
    public var files: [StagedFile]

    public init(files: [StagedFile]) { self.files = files }
}

/// The insertFiles answer. Unknown fields are ignored; every field may be missing.
public struct InsertFilesResponse: Decodable, Sendable, Equatable {
    public var requestId: String?
    public var responseCode: String?
    /// Paths the pipe had already received within 14 days (only with `showSkippedFiles=true`).
    public var skippedFiles: [String]?
    /// Paths that did not match the pipe's PATTERN (skipped, never reported).
    public var unmatchedPatternFiles: [String]?
}

/// One file's load report, from insertReport or loadHistoryScan. Only `path` and `status` are required. Only the
/// fields the daemon reads are decoded: the others (`stageLocation`, `fileSize`, `lastInsertTime`, `errorLimit`,
/// `complete`, `firstErrorCharacterPos`) are skipped, which spares a string or number per field and entry in answers
/// of up to 10,000 entries.
public struct FileLoadReport: Decodable, Sendable, Equatable {
    public var path: String
    public var status: String
    public var timeReceived: String?
    public var rowsInserted: Int64?
    public var rowsParsed: Int64?
    public var errorsSeen: Int64?
    public var firstError: String?
    public var firstErrorLineNum: Int64?
    public var firstErrorColumnName: String?
    public var systemError: String?

    public init(path: String, status: String) {
        self.path = path
        self.status = status
    }
}

/// The insertReport answer.
public struct InsertReportResponse: Decodable, Sendable, Equatable {
    public var pipe: String?
    /// False when events were missed between the begin mark and the first returned event.
    public var completeResult: Bool
    /// The mark to send next time (opaque).
    public var nextBeginMark: String?
    public var files: [FileLoadReport]

    enum CodingKeys: String, CodingKey {
        case pipe, completeResult, nextBeginMark, files
    }

    init(completeResult: Bool, files: [FileLoadReport]) {
        self.completeResult = completeResult
        self.files = files
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pipe = try c.decodeIfPresent(String.self, forKey: .pipe)
        completeResult = try c.decodeFlexibleBool(forKey: .completeResult) ?? true
        nextBeginMark = try c.decodeIfPresent(String.self, forKey: .nextBeginMark)
        files = try c.decodeIfPresent([FileLoadReport].self, forKey: .files) ?? []
    }
}

/// The loadHistoryScan answer.
public struct LoadHistoryScanResponse: Decodable, Sendable, Equatable {
    public var pipe: String?
    /// False when more entries exist: ask again from `rangeEndTime`.
    public var completeResult: Bool
    public var startTimeInclusive: String?
    public var endTimeExclusive: String?
    public var rangeStartTime: String?
    public var rangeEndTime: String?
    public var files: [FileLoadReport]

    enum CodingKeys: String, CodingKey {
        case pipe, completeResult, startTimeInclusive, endTimeExclusive, rangeStartTime, rangeEndTime, files
    }

    init(completeResult: Bool, files: [FileLoadReport]) {
        self.completeResult = completeResult
        self.files = files
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pipe = try c.decodeIfPresent(String.self, forKey: .pipe)
        completeResult = try c.decodeFlexibleBool(forKey: .completeResult) ?? true
        startTimeInclusive = try c.decodeIfPresent(String.self, forKey: .startTimeInclusive)
        endTimeExclusive = try c.decodeIfPresent(String.self, forKey: .endTimeExclusive)
        rangeStartTime = try c.decodeIfPresent(String.self, forKey: .rangeStartTime)
        rangeEndTime = try c.decodeIfPresent(String.self, forKey: .rangeEndTime)
        files = try c.decodeIfPresent([FileLoadReport].self, forKey: .files) ?? []
    }
}

/// The error envelope Snowflake sends with failures: `{"code","message","success","data"}`.
public struct SnowflakeErrorBody: Decodable, Sendable, Equatable {
    public var code: String?
    public var message: String?
    public var success: Bool?

    enum CodingKeys: String, CodingKey { case code, message, success }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = c.decodeFlexibleCode(forKey: .code)
        message = try? c.decodeIfPresent(String.self, forKey: .message)
        success = try? c.decodeIfPresent(Bool.self, forKey: .success)
    }
}

extension KeyedDecodingContainer {
    /// Snowflake's error code: a string (`"390112"`) in its answers, a number accepted too; nil when absent or
    /// neither.
    func decodeFlexibleCode(forKey key: Key) -> String? {
        if let text = try? decodeIfPresent(String.self, forKey: key) { return text }
        return (try? decodeIfPresent(Int.self, forKey: key)).flatMap { $0.map(String.init) }
    }

    /// A boolean sent either as JSON `true`/`false` or as the string `"true"`/`"false"` (loadHistoryScan).
    func decodeFlexibleBool(forKey key: Key) throws -> Bool? {
        if let value = try? decodeIfPresent(Bool.self, forKey: key) { return value }
        if let text = try? decodeIfPresent(String.self, forKey: key) {
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: break
            }
        }
        return nil
    }
}
