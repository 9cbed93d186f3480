import Foundation

/// ISO-8601 timestamps as Snowpipe writes them (`2017-06-21T04:47:41.453Z`) and reads them (any ISO-8601
/// instant with or without fractional seconds, `Z` or an offset).
public enum Timestamp {
    /// Formats with milliseconds in UTC.
    public static func format(_ date: Date) -> String {
        date.formatted(
            Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!))
    }

    /// Parses an ISO-8601 instant; nil if it is not one.
    public static func parse(_ text: String) -> Date? {
        let styles = [
            Date.ISO8601FormatStyle(includingFractionalSeconds: true),
            Date.ISO8601FormatStyle(includingFractionalSeconds: false),
        ]
        for style in styles {
            if let date = try? style.parse(text) { return date }
        }
        return nil
    }
}
