import IngestCore
import Testing

@Suite("A stream channel session: which files end, when to reopen, what is committed")
struct ChannelSessionTests {
    static func file(_ id: Int64, _ sequence: Int64, lastRow: Int64?) -> ChannelProgress.OpenFile {
        ChannelProgress.OpenFile(id: id, sequence: sequence, lastRow: lastRow)
    }

    static func at(_ file: Int64, _ row: Int64) -> StreamOffset { StreamOffset(file: file, row: row) }

    @Test func aFileWithNothingSentOrAlreadyCoveredEndsAtOnceTheRestWait() {
        var session = ChannelSession()
        _ = session.opened(committed: Self.at(2, 10), files: [])
        let ended = session.consumed([
            Self.file(1, 3, lastRow: 0),  // every row refused before sending
            Self.file(2, 2, lastRow: 10),  // the commit already covers it
            Self.file(3, 4, lastRow: 5),  // waits
        ])
        #expect(ended == [1, 2])
        #expect(session.waiting)
        #expect(session.appended.keys.sorted() == [4])
    }

    /// (status read, verdict) in order, from a session with files 1 (sequence 1, 5 rows) and 2 (sequence 2, 3 rows).
    static let histories: [(String, [(ChannelSession.Observed, ChannelSession.Verdict)])] = [
        ("a commit ends what it covers", [(.status(code: "SUCCESS", committed: at(1, 5)), .ended([1]))]),
        (
            "the committed token never moves back",
            [
                (.status(code: "SUCCESS", committed: at(2, 3)), .ended([1, 2])),
                (.status(code: "SUCCESS", committed: at(1, 2)), .ended([])),
            ]
        ),
        ("the reference's ACTIVE is a good status", [(.status(code: "ACTIVE", committed: nil), .ended([]))]),
        ("no code at all is a good status", [(.status(code: nil, committed: at(1, 4)), .ended([]))]),
        (
            "any other code reopens",
            [
                (
                    .status(code: "ERR_CHANNEL_MUST_BE_REOPENED", committed: at(2, 3)),
                    .reopen("the channel reports ERR_CHANNEL_MUST_BE_REOPENED")
                )
            ]
        ),
        ("a channel gone reopens", [(.missing, .reopen("the channel no longer exists"))]),
    ]

    @Test(arguments: histories)
    func eachStatusReadMeansWhatItShould(name: String, reads: [(ChannelSession.Observed, ChannelSession.Verdict)]) {
        var session = ChannelSession()
        _ = session.opened(committed: nil, files: [])
        #expect(session.consumed([Self.file(1, 1, lastRow: 5), Self.file(2, 2, lastRow: 3)]).isEmpty)
        for (observed, verdict) in reads {
            let got = session.observe(observed)
            let sorted: ChannelSession.Verdict = if case .ended(let ids) = got { .ended(ids.sorted()) } else { got }
            #expect(sorted == verdict, "\(name)")
        }
    }

    @Test func anAbandonedFileHasOnlyTheRowsTheCommittedTokenPointsInto() {
        var session = ChannelSession()
        _ = session.opened(committed: Self.at(3, 7), files: [])
        #expect(session.committedRows(ofFile: 3) == 7)
        #expect(session.committedRows(ofFile: 4) == 0)
        var fresh = ChannelSession()
        _ = fresh.opened(committed: nil, files: [])
        #expect(fresh.committedRows(ofFile: 1) == 0)
    }

    @Test func aReopenStartsANewSessionFromTheCommittedToken() {
        var session = ChannelSession()
        _ = session.opened(committed: Self.at(1, 2), files: [])
        session.appending(Self.file(9, 1, lastRow: nil))
        session.forget()
        #expect(session.waiting == false)
        let verdict = session.opened(
            committed: Self.at(1, 2), files: [Self.file(9, 1, lastRow: 5), Self.file(10, 2, lastRow: 1)])
        #expect(verdict.resume.map(\.fromRow) == [3, 1])
    }
}
