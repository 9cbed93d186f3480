import IngestCore
import Testing

@Suite("A new version of a known path is recorded, merged, or reported as not loadable")
struct NewVersionRuleTests {
    let now = 1_800_000_000.0
    let day = 86_400.0

    typealias Known = NewVersionRule.Known

    @Test func anUnknownPathIsRecorded() {
        #expect(NewVersionRule.decide(known: nil, now: now) == .record)
    }

    @Test func aPendingVersionNeverSentIsReplacedInPlace() {
        let known = Known(id: 7, state: .pending, attempted: false, lastSent: nil)
        #expect(NewVersionRule.decide(known: known, now: now) == .replacePending(id: 7))
    }

    @Test(arguments: [
        (FileState.pending, true, nil as Double?),
        (.submitted, false, 1_799_999_000),
        (.loaded, false, 1_799_999_000),
        (.partiallyLoaded, false, 1_799_999_000),
        (.loadFailed, false, 1_799_999_000),
        (.notReported, false, 1_799_999_000),
        (.skipped, false, 1_799_999_000),
        (.rejected, false, 1_799_999_000),
    ])
    func aPathThatMayHaveReachedSnowpipeIsNotLoadable(state: FileState, attempted: Bool, sent: Double?) {
        let known = Known(id: 1, state: state, attempted: attempted, lastSent: sent)
        #expect(NewVersionRule.decide(known: known, now: now) == .notLoadable(sentAt: sent))
    }

    @Test func aPathSentMoreThan14DaysAgoIsRecordedAgain() {
        let known = Known(id: 1, state: .loaded, attempted: true, lastSent: now - 14 * day - 1)
        #expect(NewVersionRule.decide(known: known, now: now) == .record)
        let recent = Known(id: 1, state: .loaded, attempted: true, lastSent: now - 14 * day + 1)
        #expect(NewVersionRule.decide(known: recent, now: now) == .notLoadable(sentAt: now - 14 * day + 1))
    }

    @Test func aPathOnlyEverRejectedBeforeSendingIsRecorded() {
        let known = Known(id: 1, state: .rejected, attempted: false, lastSent: nil)
        #expect(NewVersionRule.decide(known: known, now: now) == .record)
    }
}
