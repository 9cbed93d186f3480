import IngestCore
import Testing

@Suite("Retry and backoff is one decision per pipe")
struct PipeBackoffTests {
    let policy = RetryPolicy(
        base: .seconds(1), cap: .seconds(60), maximumRetryAfter: .seconds(600), unavailablePause: .seconds(300),
        refusedPause: .seconds(30))

    /// (outcome, files in the request, expected decision at t = 100 with random 0.5 and no earlier failure).
    static let table: [(AttemptOutcome, Int?, PipeBackoff.Decision)] = [
        (.success, 5, .done),
        (.status(200, retryAfter: nil), 5, .done),
        (.status(202, retryAfter: nil), nil, .done),
        (.status(400, retryAfter: nil), 5, .splitBatch),
        // A one-file 400 with no other file accepted since: the pipe's refusal, not the file's.
        (.status(400, retryAfter: nil), 1, .pipeRefused(until: 100.5)),
        (.status(400, retryAfter: nil), nil, .refused(retryAt: 130)),
        (.status(401, retryAfter: nil), 5, .renewTokenAndRetry),
        (.status(403, retryAfter: nil), 5, .paused(until: 400)),
        (.status(404, retryAfter: nil), nil, .paused(until: 400)),
        (.status(415, retryAfter: nil), 5, .refused(retryAt: 130)),
        (.status(408, retryAfter: nil), 5, .retry(at: 100.5)),
        (.status(429, retryAfter: nil), 5, .retry(at: 100.5)),
        (.status(429, retryAfter: .seconds(7)), 5, .retry(at: 107)),
        (.status(503, retryAfter: .seconds(5000)), nil, .retry(at: 700)),
        (.status(500, retryAfter: nil), 5, .retry(at: 100.5)),
        (.status(502, retryAfter: nil), nil, .retry(at: 100.5)),
        (.status(504, retryAfter: nil), 5, .retry(at: 100.5)),
        (.noAnswer, 5, .retry(at: 100.5)),
        (.unreadableBody, nil, .retry(at: 100.5)),
    ]

    @Test(arguments: table)
    func eachAnswerMapsToItsDecision(outcome: AttemptOutcome, files: Int?, expected: PipeBackoff.Decision) {
        var backoff = PipeBackoff(policy: policy)
        #expect(backoff.record(outcome, files: files, now: 100, random: 0.5) == expected)
    }

    @Test func a401AfterTheTokenWasRenewedIsRefusedAndBacksOff() {
        var backoff = PipeBackoff(policy: policy)
        #expect(backoff.record(.status(401, retryAfter: nil), now: 0, random: 0.5) == .renewTokenAndRetry)
        #expect(backoff.record(.status(401, retryAfter: nil), now: 0, random: 0.5) == .refused(retryAt: 0.5))
        // A 401 the client already renewed for goes straight to backing off, exponentially.
        var pipe = PipeBackoff(policy: policy)
        #expect(
            pipe.record(.status(401, retryAfter: nil), tokenRenewed: true, now: 0, random: 0.5)
                == .refused(retryAt: 0.5))
        #expect(
            pipe.record(.status(401, retryAfter: nil), tokenRenewed: true, now: 1, random: 0.5) == .refused(retryAt: 2))
        // A success forgets the renewal: the next 401 renews again.
        _ = pipe.record(.success, now: 2, random: 0.5)
        #expect(pipe.record(.status(401, retryAfter: nil), now: 3, random: 0.5) == .renewTokenAndRetry)
    }

    @Test func consecutiveFailuresGrowTheCeilingUntilTheCapAndASuccessResetsIt() {
        var backoff = PipeBackoff(policy: policy)
        var waits: [Double] = []
        for _ in 0..<8 {
            guard case .retry(let at) = backoff.record(.status(500, retryAfter: nil), now: 0, random: 0.999_999) else {
                Issue.record("not a retry")
                return
            }
            waits.append(at)
        }
        #expect(waits.map { $0.rounded() } == [1, 2, 4, 8, 16, 32, 60, 60])
        #expect(backoff.record(.success, now: 0, random: 0) == .done)
        #expect(backoff.failures == 0 && backoff.notBefore == nil && backoff.waitingFor == nil)
    }

    @Test func thePipeStaysClosedUntilItsDeadlineAndSaysWhy() {
        var backoff = PipeBackoff(policy: policy)
        #expect(backoff.allows(now: 0))
        _ = backoff.record(.status(429, retryAfter: .seconds(10)), now: 0, random: 0, reason: "insertFiles: HTTP 429")
        #expect(backoff.allows(now: 9.9) == false)
        #expect(backoff.allows(now: 10))
        #expect(backoff.waitingFor == "insertFiles: HTTP 429")
        // A shorter wait asked for later never shortens a longer one already set (a 403 pause, say).
        _ = backoff.record(.status(404, retryAfter: nil), now: 1, random: 0)
        #expect(backoff.record(.noAnswer, now: 2, random: 0) == .retry(at: 301))
    }

    @Test(arguments: 0..<12)
    func backoffIsFullJitterUnderAnExponentialCeiling(failures: Int) {
        let ceiling = min(Duration.seconds(60), .seconds(1) * (1 << failures))
        #expect(policy.backoff(failures: failures, random: 0) == .zero)
        #expect(policy.backoff(failures: failures, random: 0.5) == ceiling / 2)
        #expect(policy.backoff(failures: failures, random: 0.999_999) < ceiling)
        #expect(policy.backoff(failures: failures, random: 0.999_999) > ceiling * 0.99)
    }

    @Test func retryAfterParsesDeltaSecondsOnly() {
        #expect(RetryPolicy.parseRetryAfter("3") == .seconds(3))
        #expect(RetryPolicy.parseRetryAfter(" 1.5 ") == .milliseconds(1500))
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        #expect(RetryPolicy.parseRetryAfter("-1") == nil)
        #expect(RetryPolicy.parseRetryAfter(nil) == nil)
    }
}

@Suite("A backoff decision says when the pipe may call again")
struct BackoffDecisionResumeTests {
    @Test(arguments: [
        (PipeBackoff.Decision.retry(at: 5), 5.0 as Double?),
        (.refused(retryAt: 6), 6),
        (.paused(until: 7), 7),
        (.pipeRefused(until: 8), 8),
        (.done, nil),
        (.renewTokenAndRetry, nil),
        (.splitBatch, nil),
        (.rejectFile, nil),
    ])
    func resumeAt(decision: PipeBackoff.Decision, expected: Double?) {
        #expect(decision.resumeAt == expected)
    }
}
