import IngestCore
import Testing

@Suite("Retry and error classification is one table")
struct RetryPolicyTests {
    let policy = RetryPolicy(base: .seconds(1), cap: .seconds(60), maximumRetryAfter: .seconds(600))

    /// (outcome, renewedToken) -> expected kind of action.
    static let table: [(AttemptOutcome, Bool, String)] = [
        (.success, false, "done"),
        (.status(200, retryAfter: nil), false, "done"),
        (.status(202, retryAfter: nil), false, "done"),
        (.status(400, retryAfter: nil), false, "giveUp"),
        (.status(401, retryAfter: nil), false, "renew"),
        (.status(401, retryAfter: nil), true, "giveUp"),
        (.status(403, retryAfter: nil), false, "giveUp"),
        (.status(404, retryAfter: nil), false, "giveUp"),
        (.status(415, retryAfter: nil), false, "giveUp"),
        (.status(408, retryAfter: nil), false, "retry"),
        (.status(429, retryAfter: nil), false, "retry"),
        (.status(500, retryAfter: nil), false, "retry"),
        (.status(502, retryAfter: nil), false, "retry"),
        (.status(503, retryAfter: nil), true, "retry"),
        (.status(504, retryAfter: nil), false, "retry"),
        (.noAnswer, false, "retry"),
        (.unreadableBody, false, "retry"),
    ]

    @Test(arguments: table)
    func eachOutcomeMapsToItsAction(outcome: AttemptOutcome, renewed: Bool, expected: String) {
        let action = policy.decide(outcome, failures: 0, renewedToken: renewed, random: 0.5)
        switch (action, expected) {
        case (.done, "done"), (.giveUp, "giveUp"), (.renewTokenAndRetry, "renew"), (.retry, "retry"): break
        default: Issue.record("\(outcome) renewed=\(renewed): got \(action), expected \(expected)")
        }
    }

    @Test(arguments: 0..<12)
    func backoffIsFullJitterUnderAnExponentialCeiling(failures: Int) {
        let ceiling = min(Duration.seconds(60), .seconds(1) * (1 << failures))
        #expect(policy.backoff(failures: failures, random: 0) == .zero)
        #expect(policy.backoff(failures: failures, random: 0.5) == ceiling / 2)
        #expect(policy.backoff(failures: failures, random: 0.999_999) < ceiling)
        #expect(policy.backoff(failures: failures, random: 0.999_999) > ceiling * 0.99)
    }

    @Test func retryAfterIsHonouredExactlyAndBounded() {
        #expect(
            policy.decide(.status(429, retryAfter: .seconds(7)), failures: 5, renewedToken: false, random: 0.9)
                == .retry(after: .seconds(7)))
        #expect(
            policy.decide(.status(503, retryAfter: .seconds(5000)), failures: 0, renewedToken: false, random: 0)
                == .retry(after: .seconds(600)))
    }

    @Test func retryAfterParsesDeltaSecondsOnly() {
        #expect(RetryPolicy.parseRetryAfter("3") == .seconds(3))
        #expect(RetryPolicy.parseRetryAfter(" 1.5 ") == .milliseconds(1500))
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        #expect(RetryPolicy.parseRetryAfter("-1") == nil)
        #expect(RetryPolicy.parseRetryAfter(nil) == nil)
    }
}
