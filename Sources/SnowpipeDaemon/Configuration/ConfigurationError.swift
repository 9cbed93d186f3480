/// One thing wrong with the configuration: where (key path and line) and what to do.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// Dotted key path, e.g. `watch[0].pipe`.
    public var path: String
    /// 1-based line in the file, when known.
    public var line: Int?
    public var message: String

    public var description: String {
        let location = line.map { "line \($0): " } ?? ""
        return "\(location)\(path.isEmpty ? "" : path + ": ")\(message)"
    }
}

/// The configuration cannot be used; lists every problem found, not just the first.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var problems: [ConfigProblem]

    public var description: String {
        let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return "\(file): \(count):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
