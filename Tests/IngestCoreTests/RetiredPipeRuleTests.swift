import IngestCore
import Testing

@Suite("A file of a pipe no rule names any more moves, ends with its reason, or is followed, never loads twice")
struct RetiredPipeRuleTests {
    typealias Row = RetiredPipeRule.Row

    @Test(arguments: [
        // state, may have reached, streamed, covered by another rule now → expected kind
        (FileState.pending, false, false, true, "release"),
        (.pending, false, false, false, "REJECTED"),
        (.pending, true, false, true, "NOT_REPORTED"),
        (.pending, true, false, false, "NOT_REPORTED"),
        (.submitted, true, false, true, "keep"),
        (.submitted, false, false, false, "keep"),
        (.submitted, true, true, true, "NOT_REPORTED"),
        (.loaded, true, false, true, "keep"),
        (.rejected, false, false, true, "keep"),
    ])
    func eachRowGetsTheSafeDecision(
        state: FileState, reached: Bool, streamed: Bool, covered: Bool, expected: String
    ) {
        let decision = RetiredPipeRule.decide(
            Row(state: state, mayHaveReached: reached, streamed: streamed), pipe: "DB.S.OLD", covered: covered)
        switch decision {
        case .release: #expect(expected == "release")
        case .keep: #expect(expected == "keep")
        case .end(let final, let reason):
            #expect(final.rawValue == expected)
            #expect(reason.contains("DB.S.OLD"), "the reason names the pipe: \(reason)")
        }
    }

    @Test func aFileThatMayHaveReachedTheOldPipeIsNeverSentElsewhere() {
        let decision = RetiredPipeRule.decide(
            Row(state: .pending, mayHaveReached: true, streamed: false), pipe: "DB.S.OLD", covered: true)
        guard case .end(_, let reason) = decision else {
            Issue.record("expected the file to end, got \(decision)")
            return
        }
        #expect(reason.contains("may have loaded there"))
        #expect(reason.contains("could load it twice"))
    }
}
