import IngestCore
import Testing

@Suite("A problem that needs an operator is an error once, then warnings until a success")
struct AlertLatchTests {
    @Test func theFirstOccurrenceIsNewsAndASuccessRearmsIt() {
        var latch = AlertLatch()
        let first = latch.raise(.keyRefused)
        let repeated = latch.raise(.keyRefused)
        let other = latch.raise(.pipeUnavailable)
        latch.clear()
        let afterSuccess = latch.raise(.keyRefused)
        #expect(first && repeated == false)
        #expect(other, "another problem is news of its own")
        #expect(afterSuccess)
    }

    @Test(arguments: [
        (401, true, AlertLatch.Problem.keyRefused as AlertLatch.Problem?),
        (401, false, nil),
        (403, false, .pipeUnavailable),
        (404, true, .pipeUnavailable),
        (429, false, nil),
        (500, false, nil),
        (400, false, nil),
    ])
    func whichStatusesNeedAnOperator(status: Int, renewed: Bool, expected: AlertLatch.Problem?) {
        #expect(AlertLatch.problem(status: status, tokenRenewed: renewed) == expected)
    }
}
