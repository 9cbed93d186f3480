/// A channel's status as Snowpipe Streaming reports it (open channel and bulk status). Counts missing from an
/// answer read as 0; the bulk status names the error count `rows_errors`, the open answer `rows_error_count`.
public struct ChannelStatus: Decodable, Sendable, Equatable {
    public var channelName: String?
    public var statusCode: String?
    public var lastCommittedOffsetToken: String?
    public var rowsInserted: Int
    public var rowsParsed: Int
    public var rowsErrorCount: Int
    public var lastErrorOffsetUpperBound: String?
    public var lastErrorMessage: String?

    enum CodingKeys: String, CodingKey {
        case channelName = "channel_name"
        case statusCode = "channel_status_code"
        case lastCommittedOffsetToken = "last_committed_offset_token"
        case rowsInserted = "rows_inserted"
        case rowsParsed = "rows_parsed"
        case rowsErrorCount = "rows_error_count"
        case rowsErrors = "rows_errors"
        case lastErrorOffsetUpperBound = "last_error_offset_upper_bound"
        case lastErrorMessage = "last_error_message"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        channelName = try c.decodeIfPresent(String.self, forKey: .channelName)
        statusCode = try c.decodeIfPresent(String.self, forKey: .statusCode)
        lastCommittedOffsetToken = try c.decodeIfPresent(String.self, forKey: .lastCommittedOffsetToken)
        rowsInserted = try c.decodeIfPresent(Int.self, forKey: .rowsInserted) ?? 0
        rowsParsed = try c.decodeIfPresent(Int.self, forKey: .rowsParsed) ?? 0
        rowsErrorCount =
            try c.decodeIfPresent(Int.self, forKey: .rowsErrorCount) ?? c.decodeIfPresent(Int.self, forKey: .rowsErrors)
            ?? 0
        lastErrorOffsetUpperBound = try c.decodeIfPresent(String.self, forKey: .lastErrorOffsetUpperBound)
        lastErrorMessage = try c.decodeIfPresent(String.self, forKey: .lastErrorMessage)
    }
}

/// The answer to an open channel.
public struct OpenChannelResponse: Decodable, Sendable, Equatable {
    public var nextContinuationToken: String
    public var channelStatus: ChannelStatus

    enum CodingKeys: String, CodingKey {
        case nextContinuationToken = "next_continuation_token"
        case channelStatus = "channel_status"
    }
}

/// The answer to an append.
public struct AppendRowsResponse: Decodable, Sendable, Equatable {
    public var nextContinuationToken: String

    enum CodingKeys: String, CodingKey { case nextContinuationToken = "next_continuation_token" }
}

/// The answer to a bulk channel status.
public struct BulkChannelStatusResponse: Decodable, Sendable, Equatable {
    public var channelStatuses: [String: ChannelStatus]

    enum CodingKeys: String, CodingKey { case channelStatuses = "channel_statuses" }
}
