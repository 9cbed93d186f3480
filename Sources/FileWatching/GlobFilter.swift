import Glibc

/// Include/exclude glob patterns (fnmatch) applied to file names.
public struct GlobFilter: Sendable, Equatable {
    public var include: [String]
    public var exclude: [String]

    public init(include: [String], exclude: [String]) {
        self.include = include
        self.exclude = exclude
    }

    /// True when `name` matches an include pattern and no exclude pattern.
    public func accepts(fileName name: String) -> Bool {
        include.contains { Self.matches($0, name) } && !exclude.contains { Self.matches($0, name) }
    }

    /// True when a directory with this name is descended into (only exclude patterns apply).
    public func accepts(directoryName name: String) -> Bool {
        !exclude.contains { Self.matches($0, name) }
    }

    static func matches(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern, name, FNM_PERIOD) == 0 || (pattern.hasPrefix(".") && fnmatch(pattern, name, 0) == 0)
    }
}
