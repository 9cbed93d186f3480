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
}

extension FileEntry: Encodable {
    private enum Key: String, CodingKey {
        case path, stageLocation, fileSize, timeReceived, lastInsertTime, rowsInserted, rowsParsed, errorsSeen
        case errorLimit, complete, status, firstError, firstErrorLineNum, firstErrorCharacterPos
        case firstErrorColumnName, systemError
    }

    /// The documented JSON fields; the `firstError*`/`systemError` ones only when the file had errors.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(path, forKey: .path)
        try container.encode(stageLocation, forKey: .stageLocation)
        try container.encode(fileSize, forKey: .fileSize)
        try container.encode(Timestamp.format(timeReceived), forKey: .timeReceived)
        try container.encode(Timestamp.format(lastInsertTime), forKey: .lastInsertTime)
        try container.encode(rowsInserted, forKey: .rowsInserted)
        try container.encode(rowsParsed, forKey: .rowsParsed)
        try container.encode(errorsSeen, forKey: .errorsSeen)
        try container.encode(errorLimit, forKey: .errorLimit)
        try container.encode(complete, forKey: .complete)
        try container.encode(status.rawValue, forKey: .status)
        if let firstError {
            try container.encode(firstError.message, forKey: .firstError)
            try container.encode(firstError.line, forKey: .firstErrorLineNum)
            try container.encode(firstError.characterPosition, forKey: .firstErrorCharacterPos)
            if let column = firstError.columnName {
                try container.encode(column, forKey: .firstErrorColumnName)
            } else {
                try container.encodeNil(forKey: .firstErrorColumnName)
            }
        }
        try container.encodeIfPresent(systemError, forKey: .systemError)
    }
}
