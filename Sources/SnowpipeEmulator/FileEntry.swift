import Foundation

/// One file's load record, as insertReport and loadHistoryScan return it.
struct FileEntry: Sendable {
    var path: String
    var stageLocation: String
    var fileSize: Int
    var timeReceived: Date
    var lastInsertTime: Date
    var rowsInserted: Int
    var rowsParsed: Int
    var errorsSeen: Int
    var errorLimit: Int
    var complete: Bool
    var status: LoadStatus
    var firstError: LoadOutcome.FirstError?
    var systemError: String?

    /// The documented JSON fields; the `firstError*`/`systemError` ones only when the file had errors.
    var json: [String: Any?] {
        var object: [String: Any?] = [
            "path": path,
            "stageLocation": stageLocation,
            "fileSize": fileSize,
            "timeReceived": Timestamp.format(timeReceived),
            "lastInsertTime": Timestamp.format(lastInsertTime),
            "rowsInserted": rowsInserted,
            "rowsParsed": rowsParsed,
            "errorsSeen": errorsSeen,
            "errorLimit": errorLimit,
            "complete": complete,
            "status": status.rawValue,
        ]
        if let firstError {
            object["firstError"] = firstError.message
            object["firstErrorLineNum"] = firstError.line
            object["firstErrorCharacterPos"] = firstError.characterPosition
            object["firstErrorColumnName"] = firstError.columnName
        }
        if let systemError { object["systemError"] = systemError }
        return object
    }
}
