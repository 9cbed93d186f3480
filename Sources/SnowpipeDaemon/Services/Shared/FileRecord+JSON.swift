import Foundation
import IngestCore
import Outbox

extension FileRecord {
    /// The file's record as a JSON object (for `snowpiped status --json` and quarantine sidecars): only the
    /// fields that are set, times in ISO-8601 UTC.
    public var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "path": localPath, "stagePath": stagePath, "pipe": pipe, "state": state.rawValue, "size": size,
            "discoveredAt": Timestamps.format(discoveredAt), "message": FileOutcomeLog.message(self),
        ]
        let optional: [(String, Any?)] = [
            ("submittedAt", submittedAt.map(Timestamps.format)), ("finishedAt", finishedAt.map(Timestamps.format)),
            ("rowsInserted", rowsInserted), ("rowsParsed", rowsParsed), ("errorsSeen", errorsSeen),
            ("firstError", firstError), ("firstErrorLine", firstErrorLine), ("firstErrorColumn", firstErrorColumn),
            ("detail", detail), ("requestId", requestID),
        ]
        for (key, value) in optional {
            if let value { object[key] = value }
        }
        return object
    }
}
