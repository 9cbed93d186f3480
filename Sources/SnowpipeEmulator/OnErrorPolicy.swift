import Foundation

/// The `ON_ERROR` copy option, and the status it gives a file (mapping inferred from Snowflake's field docs:
/// see protocol-notes §4.2).
public enum OnErrorPolicy: Sendable, Equatable {
    /// `SKIP_FILE` (n = 1) or `SKIP_FILE_<n>`: the file fails when it has at least n error rows.
    case skipFile(Int)
    /// `'SKIP_FILE_<n>%'`: the file fails when more than n percent of its rows have errors.
    case skipFilePercent(Double)
    /// `CONTINUE`: good rows load, bad rows are skipped.
    case `continue`
    /// `ABORT_STATEMENT`: the first error fails the file.
    case abortStatement

    /// Parses the option as written in a pipe definition (case-insensitive, quotes allowed); nil if unknown.
    public init?(_ text: String) {
        let value = text.uppercased().trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        switch value {
        case "SKIP_FILE": self = .skipFile(1)
        case "CONTINUE": self = .continue
        case "ABORT_STATEMENT": self = .abortStatement
        default:
            guard value.hasPrefix("SKIP_FILE_") else { return nil }
            let number = value.dropFirst("SKIP_FILE_".count)
            if number.hasSuffix("%") {
                guard let percent = Double(number.dropLast()), percent >= 0 else { return nil }
                self = .skipFilePercent(percent)
            } else {
                guard let limit = Int(number), limit >= 1 else { return nil }
                self = .skipFile(limit)
            }
        }
    }

    /// True when parsing can stop at the first error.
    var stopsAtFirstError: Bool { self == .abortStatement }

    /// The final status of a file with `parsed` rows of which `errors` were bad, and the `errorLimit` to report.
    func outcome(parsed: Int, errors: Int) -> (status: LoadStatus, loadsGoodRows: Bool, errorLimit: Int) {
        switch self {
        case .skipFile(let limit):
            if errors >= limit { return (.loadFailed, false, limit) }
            return (errors > 0 ? .partiallyLoaded : .loaded, true, limit)
        case .skipFilePercent(let percent):
            let limit = max(1, Int((Double(parsed) * percent / 100).rounded(.down)) + 1)
            if parsed > 0, Double(errors) * 100 / Double(parsed) > percent { return (.loadFailed, false, limit) }
            return (errors > 0 ? .partiallyLoaded : .loaded, true, limit)
        case .continue:
            if errors > 0, errors >= parsed { return (.loadFailed, false, parsed) }
            return (errors > 0 ? .partiallyLoaded : .loaded, true, max(parsed, 1))
        case .abortStatement:
            return errors > 0 ? (.loadFailed, false, 1) : (.loaded, true, 1)
        }
    }
}

/// Load status values as Snowflake reports them.
public enum LoadStatus: String, Codable, Sendable {
    case loadInProgress = "LOAD_IN_PROGRESS"
    case loaded = "LOADED"
    case loadFailed = "LOAD_FAILED"
    case partiallyLoaded = "PARTIALLY_LOADED"
}
