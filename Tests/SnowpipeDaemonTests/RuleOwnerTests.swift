import Testing

@testable import SnowpipeDaemon

@Suite("One rule owns a path: the deepest root holding it, for every service")
struct RuleOwnerTests {
    static func rule(_ directory: String, _ pipe: String) -> WatchRule {
        WatchRule(
            directory: directory, pipe: pipe, stagePrefix: "", include: ["*"], exclude: [], recursive: true,
            settleSeconds: 0, afterLoad: .keep, afterFailure: .keep)
    }

    /// Nested roots, listed outer first on purpose: a first-match lookup would give every path to `/data`.
    static let rules = [rule("/data", "A"), rule("/data/orders", "B"), rule("/data/orders-old", "C"), rule("/x", "A")]

    /// (path, pipe filter, expected owner index).
    static let cases: [(String, String?, Int?)] = [
        ("/data/a.csv", nil, 0),
        ("/data/orders/b.csv", nil, 1),
        ("/data/orders/deep/c.csv", nil, 1),
        // A sibling with a longer name is not inside `/data/orders`.
        ("/data/orders-old/d.csv", nil, 2),
        ("/data/ordersx.csv", nil, 0),
        // A directory is owned like the files in it (the scans ask for directories).
        ("/data/orders", nil, 1),
        ("/data", nil, 0),
        ("/elsewhere/e.csv", nil, nil),
        // A row of pipe A under the inner root: its own pipe's deepest rule (the configuration changed).
        ("/data/orders/f.csv", "A", 0),
        ("/data/orders/f.csv", "Z", nil),
    ]

    @Test(arguments: cases)
    func theDeepestRootOwnsAPath(path: String, pipe: String?, expected: Int?) {
        #expect(Self.rules.owner(of: path, pipe: pipe) == expected)
    }
}
