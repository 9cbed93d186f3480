extension Array where Element == WatchRule {
    /// The one answer to "which rule owns this path": the index of the rule with the deepest directory that is
    /// `path` or holds it (filters not applied), optionally among the rules of one pipe. Nested roots are allowed
    /// (`/data` and `/data/orders` with different pipes): a file under `/data/orders` is the inner rule's, for the
    /// classifier, the scans, the uploader and the after-load actions alike.
    func owner(of path: String, pipe: String? = nil) -> Int? {
        var best: Int?
        for (index, rule) in enumerated() where path == rule.directory || path.hasPrefix(rule.directory + "/") {
            if let pipe, rule.pipe != pipe { continue }
            if let current = best, self[current].directory.count >= rule.directory.count { continue }
            best = index
        }
        return best
    }
}
