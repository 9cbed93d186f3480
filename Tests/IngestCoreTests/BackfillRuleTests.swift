import IngestCore
import Testing

@Suite("A backfill registers only what neither the outbox nor the load history knows")
struct BackfillRuleTests {
    @Test(arguments: [
        // path, mtime, since, in outbox, in history → verdict
        ("a.csv", 100.0, nil as Double?, false, false, BackfillRule.Verdict.register),
        ("a.csv", 100.0, 100.0, false, false, .register),
        ("a.csv", 99.0, 100.0, false, false, .olderThanSince),
        ("a.csv", 100.0, nil, true, false, .inOutbox),
        ("a.csv", 100.0, nil, false, true, .inLoadHistory),
        ("a.csv", 100.0, nil, true, true, .inOutbox),
        ("a.csv", 50.0, 100.0, true, true, .olderThanSince),
    ])
    func verdicts(
        path: String, modified: Double, since: Double?, inOutbox: Bool, inHistory: Bool, expected: BackfillRule.Verdict
    ) {
        let verdict = BackfillRule.verdict(
            stagePath: path, modifiedAt: modified, since: since, known: inOutbox ? [path] : ["other.csv"],
            history: inHistory ? [path] : [])
        #expect(verdict == expected)
    }
}
