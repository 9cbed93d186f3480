import IngestCore
import Testing

@Suite("A stream commit that stops moving is said once, and its recovery once")
struct CommitWatchTests {
    struct Read: Sendable, CustomTestStringConvertible {
        var at: Double
        var committedRow: Int64?
        var waiting: Bool
        var expected: CommitWatch.Event
        var testDescription: String { "t\(at) committed \(committedRow.map(String.init) ?? "-") waiting \(waiting)" }
    }

    static func read(_ at: Double, _ row: Int64?, waiting: Bool, _ expected: CommitWatch.Event = .none) -> Read {
        Read(at: at, committedRow: row, waiting: waiting, expected: expected)
    }

    static let histories: [(String, [Read])] = [
        (
            "a commit that moves is never a stall",
            [read(0, nil, waiting: true), read(50, 1, waiting: true), read(100, 2, waiting: true)]
        ),
        (
            "rows waiting past the threshold: said once, then resumed when the commit moves",
            [
                read(0, 1, waiting: true), read(59, 1, waiting: true),
                read(60, 1, waiting: true, .stalled(seconds: 60)),
                read(90, 1, waiting: true), read(95, 2, waiting: true, .resumed), read(120, 2, waiting: true),
            ]
        ),
        (
            "nothing waiting is no stall, however long the commit stays",
            [read(0, 1, waiting: false), read(1000, 1, waiting: false)]
        ),
        (
            "a stall ends when nothing waits any more (the files ended otherwise)",
            [
                read(0, 1, waiting: true), read(70, 1, waiting: true, .stalled(seconds: 70)),
                read(71, 1, waiting: false, .resumed),
            ]
        ),
    ]

    @Test(arguments: histories)
    func eachHistorySaysWhatItShould(name: String, reads: [Read]) {
        var watch = CommitWatch(stallAfter: 60)
        for read in reads {
            let event = watch.observe(
                committed: read.committedRow.map { StreamOffset(file: 1, row: $0) }, waiting: read.waiting,
                now: read.at)
            #expect(event == read.expected, "\(name): \(read.testDescription)")
        }
    }
}
