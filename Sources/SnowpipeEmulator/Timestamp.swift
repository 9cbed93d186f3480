import Foundation
import IngestCore

/// ISO-8601 timestamps as Snowpipe writes them (`2017-06-21T04:47:41.453Z`) and reads them, through the codec
/// the daemon shares (`SnowpipeTimestamp`: rounded to the millisecond), for the emulator's `Date`s.
public enum Timestamp {
    /// Formats with milliseconds in UTC, rounded to the nearest millisecond.
    public static func format(_ date: Date) -> String { SnowpipeTimestamp.format(seconds: date.timeIntervalSince1970) }

    /// Milliseconds since 1970, rounded: how stamps and query bounds are compared.
    static func milliseconds(_ date: Date) -> Int64 {
        SnowpipeTimestamp.milliseconds(seconds: date.timeIntervalSince1970)
    }

    /// Parses an ISO-8601 instant; nil if it is not one.
    public static func parse(_ text: String) -> Date? {
        SnowpipeTimestamp.parseMilliseconds(text).map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }
}
