import Foundation

extension SnowpipeEmulator {
    /// `GET /v1/data/pipes/{pipe}/insertReport`: the pipe's recent events after `beginMark`.
    func insertReport(_ request: EmulatorRequest, pipe: PipeDefinition, now: Date) -> EmulatorResponse {
        var mark: Int?
        var foreignMark = false
        if let text = request.query["beginMark"], text.isEmpty == false {
            let parts = text.split(separator: "_")
            guard parts.count == 2, let sequence = Int(parts[1]), sequence >= 0 else {
                return .snowflakeError(
                    400, code: VendorCode.invalidRequest,
                    message: "Invalid beginMark '\(text)': use the nextBeginMark of a previous response.")
            }
            if parts[0] == instance {
                mark = sequence
            } else {
                mark = 0  // a mark from another server instance: start over, and say the result may be incomplete
                foreignMark = true
            }
        }
        var recentSeconds: Double?
        if let text = request.query["recentSeconds"] {
            guard let value = Double(text), value >= 0 else {
                return .snowflakeError(
                    400, code: VendorCode.invalidRequest, message: "Invalid recentSeconds '\(text)': expected seconds.")
            }
            recentSeconds = value
        }
        let state = states[pipe.name] ?? PipeState()
        let report = state.report(
            from: mark, recentSeconds: recentSeconds, now: now, limit: configuration.reportCapacity)
        return .encoded(
            200,
            InsertReportBody(
                pipe: pipe.name, completeResult: report.complete && foreignMark == false,
                nextBeginMark: "\(instance)_\(report.next)", files: report.events.map(\.entry)))
    }

    /// `GET /v1/data/pipes/{pipe}/loadHistoryScan`: final (and in-progress) file records in a time range.
    func loadHistoryScan(_ request: EmulatorRequest, pipe: PipeDefinition, now: Date) -> EmulatorResponse {
        guard let startText = request.query["startTimeInclusive"], startText.isEmpty == false else {
            return .snowflakeError(
                400, code: VendorCode.invalidRequest, message: "Missing required parameter startTimeInclusive.")
        }
        guard let start = Timestamp.parse(startText) else {
            return .snowflakeError(
                400, code: VendorCode.invalidRequest,
                message: "Invalid startTimeInclusive '\(startText)': expected an ISO-8601 timestamp.")
        }
        // Without an end, CURRENT_TIMESTAMP: everything recorded so far (event stamps may run a few
        // milliseconds ahead of a manual clock, see PipeState.stamp).
        var end = Date.distantFuture
        if let endText = request.query["endTimeExclusive"], endText.isEmpty == false {
            guard let parsed = Timestamp.parse(endText) else {
                return .snowflakeError(
                    400, code: VendorCode.invalidRequest,
                    message: "Invalid endTimeExclusive '\(endText)': expected an ISO-8601 timestamp.")
            }
            end = parsed
        }
        guard states[pipe.name]?.admitScan(now: now, perMinute: configuration.historyScanCallsPerMinute) ?? true else {
            var response = EmulatorResponse.snowflakeError(
                429, code: VendorCode.rateLimited,
                message: "Too many loadHistoryScan requests for pipe \(pipe.name); narrow the range and retry later.")
            response.headers["Retry-After"] = "60"
            return response
        }
        let oldest = now.addingTimeInterval(-configuration.historyRetentionSeconds)
        let scan = (states[pipe.name] ?? PipeState())
            .scan(start: max(start, oldest), end: end, limit: max(1, configuration.historyPageSize))
        return .encoded(
            200,
            LoadHistoryScanBody(
                pipe: pipe.name, completeResult: scan.complete, startTimeInclusive: startText,
                endTimeExclusive: request.query["endTimeExclusive"] ?? Timestamp.format(now),
                rangeStartTime: scan.entries.first.map { Timestamp.format($0.lastInsertTime) },
                rangeEndTime: scan.entries.last.map { Timestamp.format($0.lastInsertTime) }, files: scan.entries))
    }
}

/// The insertReport answer (Encodable: JSONSerialization with sorted keys took most of the emulator's CPU at
/// 10,000 entries per answer, and it runs on the emulator's actor).
struct InsertReportBody: Encodable {
    var pipe: String
    var completeResult: Bool
    var nextBeginMark: String
    var files: [FileEntry]
}

/// The loadHistoryScan answer; the range times are null when no entry matched. `completeResult` is a JSON Boolean,
/// as the API page's response example shows it (`snowpipe-rest-api.txt`, loadHistoryScan, "Response Payload"),
/// although the page's field list calls it a String (`protocol-notes.md` §4.2): the official clients read either
/// (the Java SDK through Jackson, `protocol-notes.md` §2), and so does the daemon.
struct LoadHistoryScanBody: Encodable {
    var pipe: String
    var completeResult: Bool
    var startTimeInclusive: String
    var endTimeExclusive: String
    var rangeStartTime: String?
    var rangeEndTime: String?
    var files: [FileEntry]

    private enum CodingKeys: String, CodingKey {
        case pipe, completeResult, startTimeInclusive, endTimeExclusive, rangeStartTime, rangeEndTime, files
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pipe, forKey: .pipe)
        try container.encode(completeResult, forKey: .completeResult)
        try container.encode(startTimeInclusive, forKey: .startTimeInclusive)
        try container.encode(endTimeExclusive, forKey: .endTimeExclusive)
        try container.encode(rangeStartTime, forKey: .rangeStartTime)
        try container.encode(rangeEndTime, forKey: .rangeEndTime)
        try container.encode(files, forKey: .files)
    }
}
