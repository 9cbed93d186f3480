import Foundation

/// ISO-8601 timestamps as Snowpipe writes them (`2017-06-21T04:47:41.453Z`) and reads them (any ISO-8601
/// instant with or without fractional seconds, `Z` or an offset).
public enum Timestamp {
    /// Formats with milliseconds in UTC, rounded to the nearest millisecond. (The formatter truncates, and an
    /// instant stamped at an exact millisecond is stored as a binary fraction that may fall just below it: a
    /// `rangeEndTime` one millisecond early made small history pages repeat forever.)
    public static func format(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        let nudged = Date(timeIntervalSince1970: milliseconds / 1000 + 0.000_1)
        return nudged.formatted(
            Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!))
    }

    /// Milliseconds since 1970, rounded: how stamps and query bounds are compared.
    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

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
