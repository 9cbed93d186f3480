/// An answer that can be read with `JSONScanner` instead of `JSONDecoder`: the insertReport and loadHistoryScan
/// answers, up to 10,000 entries each, where keyed `Decodable` containers per entry were the daemon's largest
/// single cost in reading reports (issue 24's profile). `scan` answers nil for anything it does not take exactly
/// as `JSONDecoder` would (a type it does not expect, a duplicate key, text that is not JSON), and the caller then
/// decodes with `JSONDecoder`: same result, or the same error, only slower.
protocol ScannedAnswer {
    static func scan(_ bytes: [UInt8]) -> Self?
}

extension InsertReportResponse: ScannedAnswer {
    static func scan(_ bytes: [UInt8]) -> InsertReportResponse? {
        var answer = InsertReportResponse(completeResult: true, files: [])
        var seen = ReportAnswerScan.SeenKeys()
        let read = ReportAnswerScan.answer(bytes) { scanner, key in
            switch key {
            case "pipe": return seen.first(0) && ReportAnswerScan.optionalString(&scanner, into: &answer.pipe)
            case "completeResult":
                return seen.first(1) && ReportAnswerScan.flexibleBool(&scanner, into: &answer.completeResult)
            case "nextBeginMark":
                return seen.first(2) && ReportAnswerScan.optionalString(&scanner, into: &answer.nextBeginMark)
            case "files": return seen.first(3) && ReportAnswerScan.files(&scanner, into: &answer.files)
            default: return scanner.skipValue()
            }
        }
        return read ? answer : nil
    }
}

extension LoadHistoryScanResponse: ScannedAnswer {
    static func scan(_ bytes: [UInt8]) -> LoadHistoryScanResponse? {
        var answer = LoadHistoryScanResponse(completeResult: true, files: [])
        let read = ReportAnswerScan.answer(bytes) { scanner, key in
            switch key {
            case "pipe": return ReportAnswerScan.optionalString(&scanner, into: &answer.pipe)
            case "completeResult": return ReportAnswerScan.flexibleBool(&scanner, into: &answer.completeResult)
            case "startTimeInclusive":
                return ReportAnswerScan.optionalString(&scanner, into: &answer.startTimeInclusive)
            case "endTimeExclusive": return ReportAnswerScan.optionalString(&scanner, into: &answer.endTimeExclusive)
            case "rangeStartTime": return ReportAnswerScan.optionalString(&scanner, into: &answer.rangeStartTime)
            case "rangeEndTime": return ReportAnswerScan.optionalString(&scanner, into: &answer.rangeEndTime)
            case "files": return ReportAnswerScan.files(&scanner, into: &answer.files)
            default: return scanner.skipValue()
            }
        }
        return read ? answer : nil
    }
}

/// The pieces both answers share, each with `Decodable`'s meaning for its field.
enum ReportAnswerScan {
    /// Which of an object's read keys were seen: a key read twice gives up (the caller's bit per key).
    struct SeenKeys {
        private var bits: UInt32 = 0

        /// False when `bit` was already set.
        mutating func first(_ bit: Int) -> Bool {
            defer { bits |= 1 << bit }
            return bits & (1 << bit) == 0
        }
    }

    /// The top-level object, then nothing but whitespace.
    static func answer(_ bytes: [UInt8], _ member: (inout JSONScanner, String) -> Bool) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            return scanner.readObject(member) && scanner.atEnd()
        }
    }

    /// `decodeIfPresent(String.self)`: a string or null.
    static func optionalString(_ scanner: inout JSONScanner, into field: inout String?) -> Bool {
        if scanner.takeNull() {
            field = nil
            return true
        }
        guard let text = scanner.readString() else { return false }
        field = text
        return true
    }

    /// `decodeIfPresent(Int64.self)`: an integer or null.
    static func optionalInt64(_ scanner: inout JSONScanner, into field: inout Int64?) -> Bool {
        if scanner.takeNull() {
            field = nil
            return true
        }
        guard let value = scanner.readInt64() else { return false }
        field = value
        return true
    }

    /// `decodeFlexibleBool(…) ?? true`: a Boolean, or "true"/"false" in any case; anything else means true.
    static func flexibleBool(_ scanner: inout JSONScanner, into field: inout Bool) -> Bool {
        if let value = scanner.readBool() {
            field = value
            return true
        }
        if scanner.peek() == UInt8(ascii: "\"") {
            guard let text = scanner.readString() else { return false }
            switch text.lowercased() {
            case "true": field = true
            case "false": field = false
            default: field = true
            }
            return true
        }
        field = true
        return scanner.skipValue()
    }

    /// `decodeIfPresent([FileLoadReport].self) ?? []`.
    static func files(_ scanner: inout JSONScanner, into files: inout [FileLoadReport]) -> Bool {
        files = []
        if scanner.takeNull() { return true }
        guard scanner.take(UInt8(ascii: "[")) else { return false }
        if scanner.take(UInt8(ascii: "]")) { return true }
        repeat {
            guard let entry = file(&scanner) else { return false }
            files.append(entry)
        } while scanner.take(UInt8(ascii: ","))
        return scanner.take(UInt8(ascii: "]"))
    }

    /// One entry: `path` and `status` required, the other fields the daemon reads optional, the rest skipped.
    static func file(_ scanner: inout JSONScanner) -> FileLoadReport? {
        var path: String?
        var status: String?
        var entry = FileLoadReport(path: "", status: "")
        var seen = SeenKeys()
        let read = scanner.readObject { scanner, key in
            switch key {
            case "path":
                path = scanner.readString()
                return seen.first(0) && path != nil
            case "status":
                status = scanner.readString()
                return seen.first(1) && status != nil
            case "timeReceived": return seen.first(2) && optionalString(&scanner, into: &entry.timeReceived)
            case "rowsInserted": return seen.first(3) && optionalInt64(&scanner, into: &entry.rowsInserted)
            case "rowsParsed": return seen.first(4) && optionalInt64(&scanner, into: &entry.rowsParsed)
            case "errorsSeen": return seen.first(5) && optionalInt64(&scanner, into: &entry.errorsSeen)
            case "firstError": return seen.first(6) && optionalString(&scanner, into: &entry.firstError)
            case "firstErrorLineNum": return seen.first(7) && optionalInt64(&scanner, into: &entry.firstErrorLineNum)
            case "firstErrorColumnName":
                return seen.first(8) && optionalString(&scanner, into: &entry.firstErrorColumnName)
            case "systemError": return seen.first(9) && optionalString(&scanner, into: &entry.systemError)
            default: return scanner.skipValue()
            }
        }
        guard read, let path, let status else { return nil }
        entry.path = path
        entry.status = status
        return entry
    }
}
