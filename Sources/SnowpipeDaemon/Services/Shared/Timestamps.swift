import Foundation
import IngestCore

/// ISO-8601 UTC with milliseconds, as Snowpipe writes and reads times: the codec shared with the emulator
/// (`SnowpipeTimestamp`), for `Date`s.
enum Timestamps {
    static func parse(_ text: String) -> Date? {
        SnowpipeTimestamp.parseMilliseconds(text).map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    static func format(_ date: Date) -> String { SnowpipeTimestamp.format(seconds: date.timeIntervalSince1970) }
}
