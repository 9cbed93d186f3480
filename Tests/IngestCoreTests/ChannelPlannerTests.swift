import IngestCore
import Testing

@Suite("Stream mode: when the channel driver opens, appends, reads status, waits, and what a failure leads to")
struct ChannelPlannerTests {
    @Test func nothingOpensUntilThereIsSomethingToSend() {
        var planner = ChannelPlanner(pollInterval: 1)
        #expect(planner.next(now: 0, rowsToAppend: false, uncommittedFiles: 0) == .idle)
        #expect(planner.next(now: 0, rowsToAppend: true, uncommittedFiles: 0) == .open)
        planner.opened(now: 0)
        #expect(planner.next(now: 0, rowsToAppend: true, uncommittedFiles: 0) == .append)
    }

    @Test func statusIsReadOnlyWhileRowsWaitForTheirCommit() {
        var planner = ChannelPlanner(pollInterval: 1, maximumUncommittedFiles: 2)
        planner.opened(now: 0)
        planner.appended(now: 0.1)
        #expect(planner.next(now: 0.2, rowsToAppend: false, uncommittedFiles: 1) == .wait(until: 1))
        #expect(planner.next(now: 1, rowsToAppend: false, uncommittedFiles: 1) == .poll)
        // Too many files wait for their commit: no more appends, the status is read.
        #expect(planner.next(now: 1, rowsToAppend: true, uncommittedFiles: 2) == .poll)
        planner.polled(now: 1, waiting: false)
        #expect(planner.next(now: 5, rowsToAppend: false, uncommittedFiles: 0) == .idle)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var outcome: AttemptOutcome
        var code: String?
        var appending: Bool
        var opening = false
        var expected: ChannelPlanner.Failure
        var staysOpen: Bool
        var testDescription: String { "\(outcome) \(code ?? "") appending=\(appending) opening=\(opening)" }
    }

    /// At t = 10, random 0.5, no earlier failure: the first backoff is 0.5 s.
    static let cases: [Case] = [
        // Any non-retryable 4xx on an append is the channel's, whatever its code: reopen after the backoff.
        Case(
            outcome: .status(400, retryAfter: nil), code: "STALE_CONTINUATION_TOKEN_SEQUENCER", appending: true,
            expected: .reopen(at: 10.5), staysOpen: false),
        Case(
            outcome: .status(400, retryAfter: nil), code: "ERR_CHANNEL_MUST_BE_REOPENED", appending: true,
            expected: .reopen(at: 10.5), staysOpen: false),
        Case(
            outcome: .status(400, retryAfter: nil), code: "ERR_SOMETHING_NEW", appending: true,
            expected: .reopen(at: 10.5), staysOpen: false),
        Case(
            outcome: .status(400, retryAfter: nil), code: "ERR_INVALID_ROWS_PAYLOAD", appending: true,
            expected: .reopen(at: 10.5), staysOpen: false),
        Case(
            outcome: .status(413, retryAfter: nil), code: nil, appending: true, expected: .reopen(at: 10.5),
            staysOpen: false),
        Case(
            outcome: .status(409, retryAfter: nil), code: "ERR_CHANNEL_HAS_INVALID_ROW_SEQUENCER", appending: true,
            expected: .reopen(at: 10.5), staysOpen: false),
        Case(
            outcome: .status(404, retryAfter: nil), code: "ERR_CHANNEL_DOES_NOT_EXIST_OR_NOT_AUTHORIZED",
            appending: true, expected: .reopen(at: 10.5), staysOpen: false),
        // A 409 on a status read: the channel was invalidated; on open: the SDK's open retry, with backoff.
        Case(
            outcome: .status(409, retryAfter: nil), code: nil, appending: false, expected: .reopen(at: 10.5),
            staysOpen: false),
        Case(
            outcome: .status(409, retryAfter: nil), code: "ERR_OPEN_CHANNEL_IN_PROGRESS", appending: false,
            opening: true, expected: .retry(at: 10.5), staysOpen: false),
        // A failed append is resent after a reopen, whatever the failure.
        Case(
            outcome: .status(429, retryAfter: .seconds(3)), code: nil, appending: true, expected: .retry(at: 13),
            staysOpen: false),
        Case(outcome: .noAnswer, code: nil, appending: true, expected: .retry(at: 10.5), staysOpen: false),
        // A failed status read keeps the channel.
        Case(
            outcome: .status(503, retryAfter: .seconds(2)), code: nil, appending: false, expected: .retry(at: 12),
            staysOpen: true),
        Case(
            outcome: .status(401, retryAfter: nil), code: nil, appending: false, expected: .renewToken, staysOpen: true),
        Case(
            outcome: .status(404, retryAfter: nil), code: "ERR_PIPE_DOES_NOT_EXIST_OR_NOT_AUTHORIZED",
            appending: false, expected: .paused(until: 310), staysOpen: true),
        Case(
            outcome: .status(404, retryAfter: nil), code: "ERR_PIPE_DOES_NOT_EXIST_OR_NOT_AUTHORIZED",
            appending: true, expected: .paused(until: 310), staysOpen: false),
    ]

    @Test(arguments: cases)
    func aFailureDecidesTheNextStep(_ example: Case) {
        var planner = ChannelPlanner(pollInterval: 1)
        planner.opened(now: 0)
        let decision = planner.failed(
            example.outcome, code: example.code, appending: example.appending, opening: example.opening, now: 10,
            random: 0.5, reason: "test")
        #expect(decision == example.expected)
        #expect(planner.isOpen == example.staysOpen)
    }

    @Test func aChannelClosedByAFailureIsReopenedAfterItsBackoffEvenWithNothingNewToSend() {
        var planner = ChannelPlanner(pollInterval: 1)
        planner.opened(now: 0)
        planner.appended(now: 0)
        let decision = planner.failed(
            .status(400, retryAfter: nil), code: "ERR_CHANNEL_MUST_BE_REOPENED", appending: true, now: 10,
            random: 0.5, reason: "refused")
        #expect(decision == .reopen(at: 10.5))
        // The driver forgot its session: nothing queued, nothing appended in memory; the files are in the outbox.
        #expect(planner.next(now: 10.1, rowsToAppend: false, uncommittedFiles: 0) == .wait(until: 10.5))
        #expect(planner.next(now: 10.5, rowsToAppend: false, uncommittedFiles: 0) == .open)
        planner.opened(now: 11)
        #expect(planner.next(now: 11, rowsToAppend: false, uncommittedFiles: 0) == .idle)
    }

    @Test func repeatedChannelRefusalsBackOffExponentiallyAndNeverLoopTightly() {
        var planner = ChannelPlanner(pollInterval: 1)
        var instants: [Double] = []
        var now = 0.0
        for _ in 0..<7 {
            guard
                case .retry(let at) = planner.failed(
                    .status(409, retryAfter: nil), code: "ERR_OPEN_CHANNEL_IN_PROGRESS", appending: false,
                    opening: true, now: now, random: 0.999_999, reason: "open refused")
            else {
                Issue.record("not a retry")
                return
            }
            #expect(planner.next(now: now, rowsToAppend: true, uncommittedFiles: 0) == .wait(until: at))
            instants.append((at - now).rounded())
            now = at
        }
        #expect(instants == [1, 2, 4, 8, 16, 32, 60])
    }

    @Test func backingOffWaitsBeforeReopening() {
        var planner = ChannelPlanner(pollInterval: 1)
        planner.opened(now: 0)
        _ = planner.failed(
            .status(500, retryAfter: .seconds(4)), code: nil, appending: true, now: 10, random: 0, reason: "x")
        #expect(planner.next(now: 11, rowsToAppend: true, uncommittedFiles: 0) == .wait(until: 14))
        #expect(planner.next(now: 14, rowsToAppend: true, uncommittedFiles: 0) == .open)
    }
}
