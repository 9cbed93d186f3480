import IngestCore
import Testing

@Suite("Stream mode: offset tokens, what a committed token ends, where a reopen resumes")
struct ChannelProgressTests {
    @Test func offsetTokensOrderAsTextAsTheyOrderAsNumbers() throws {
        let offsets = [
            StreamOffset(file: 1, row: 9), StreamOffset(file: 1, row: 10), StreamOffset(file: 2, row: 1),
            StreamOffset(file: 10, row: 0), StreamOffset(file: 999_999_999_999, row: 999_999_999_999),
        ]
        #expect(offsets.map(\.description).sorted() == offsets.map(\.description))
        #expect(offsets.sorted() == offsets)
        #expect(StreamOffset(file: 42, row: 1000).description == "000000000042:000000001000")
        for offset in offsets { #expect(StreamOffset(offset.description) == offset) }
    }

    @Test(arguments: ["", "42:1000", "000000000042-000000001000", "00000000004x:000000001000", "offset-41", "1:2:3"])
    func tokensSomeoneElseWroteAreNotOurs(_ token: String) {
        #expect(StreamOffset(token) == nil)
    }

    /// Files 1-4: 1 and 2 wholly appended, 3 appended through an unknown row (appending), 4 not started.
    let files = [
        ChannelProgress.OpenFile(id: 11, sequence: 1, lastRow: 5),
        ChannelProgress.OpenFile(id: 12, sequence: 2, lastRow: 3),
        ChannelProgress.OpenFile(id: 13, sequence: 3, lastRow: nil),
        ChannelProgress.OpenFile(id: 14, sequence: 4, lastRow: nil),
    ]

    struct Case: Sendable, CustomTestStringConvertible {
        var committed: StreamOffset?
        var ended: [Int64]
        var resume: [ChannelProgress.Resume]
        var testDescription: String { committed?.description ?? "nothing committed" }
    }

    static let cases: [Case] = [
        Case(
            committed: nil, ended: [],
            resume: [
                .init(id: 11, sequence: 1, fromRow: 1), .init(id: 12, sequence: 2, fromRow: 1),
                .init(id: 13, sequence: 3, fromRow: 1), .init(id: 14, sequence: 4, fromRow: 1),
            ]),
        // Part of file 1 committed: the rest of it, then everything after.
        Case(
            committed: StreamOffset(file: 1, row: 2), ended: [],
            resume: [
                .init(id: 11, sequence: 1, fromRow: 3), .init(id: 12, sequence: 2, fromRow: 1),
                .init(id: 13, sequence: 3, fromRow: 1), .init(id: 14, sequence: 4, fromRow: 1),
            ]),
        // File 1's last row committed: it ends.
        Case(
            committed: StreamOffset(file: 1, row: 5), ended: [11],
            resume: [
                .init(id: 12, sequence: 2, fromRow: 1), .init(id: 13, sequence: 3, fromRow: 1),
                .init(id: 14, sequence: 4, fromRow: 1),
            ]),
        // A commit inside file 3 ends 1 and 2 (earlier files are wholly committed), resumes 3 after it.
        Case(
            committed: StreamOffset(file: 3, row: 7), ended: [11, 12],
            resume: [.init(id: 13, sequence: 3, fromRow: 8), .init(id: 14, sequence: 4, fromRow: 1)]),
        // Committed past everything we know.
        Case(committed: StreamOffset(file: 9, row: 1), ended: [11, 12, 13, 14], resume: []),
    ]

    @Test(arguments: cases)
    func aReopenEndsWhatIsCommittedAndResumesFromTheNextRow(_ example: Case) {
        let verdict = ChannelProgress.judge(committed: example.committed, files: files.shuffled())
        #expect(verdict.committed == example.ended)
        #expect(verdict.resume == example.resume)
    }

    @Test func aCommitEndsOnlyWhollyAppendedFilesItReaches() {
        #expect(ChannelProgress.ended(by: nil, files: files).isEmpty)
        #expect(ChannelProgress.ended(by: StreamOffset(file: 1, row: 4), files: files).isEmpty)
        #expect(ChannelProgress.ended(by: StreamOffset(file: 1, row: 5), files: files) == [11])
        // File 3 is still being appended: even a commit far past it does not end it yet.
        #expect(ChannelProgress.ended(by: StreamOffset(file: 5, row: 1), files: files) == [11, 12])
    }

    @Test func rejectedRowsGoToTheFileOfTheLastErrorAndSpanningWindowsAreFlagged() {
        var ledger = ChannelErrorLedger()
        ledger.opened(errorCount: 4, committed: StreamOffset(file: 1, row: 0))
        // No rise: nothing.
        #expect(
            ledger.observe(errorCount: 4, lastErrorOffset: nil, message: nil, committed: .init(file: 1, row: 9)) == nil)
        // A rise within file 1.
        let first = ledger.observe(
            errorCount: 6, lastErrorOffset: .init(file: 1, row: 12), message: "bad", committed: .init(file: 1, row: 20))
        #expect(first == .init(sequence: 1, errors: 2, message: "bad", ambiguous: false))
        // A rise while commits moved from file 1 into file 3: all to file 3, flagged.
        let second = ledger.observe(
            errorCount: 9, lastErrorOffset: .init(file: 3, row: 2), message: "worse", committed: .init(file: 3, row: 5))
        #expect(second == .init(sequence: 3, errors: 3, message: "worse", ambiguous: true))
    }
}
