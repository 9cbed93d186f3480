import IngestCore
import Testing

@Suite("The pruner pages through every finished row, kept or not")
struct PrunePagerTests {
    /// (pages of row ids read, expected `after` and `done` after them), page size 3.
    static let cases: [([[Int64]], Int64?, Bool)] = [
        ([], nil, false),
        ([[1, 2, 3]], 3, false),
        // A full page of kept rows goes on: the rows behind it are still to be judged.
        ([[1, 2, 3], [4, 5, 6]], 6, false),
        ([[1, 2, 3], [7]], 7, true),
        ([[1, 2, 3], []], 3, true),
        ([[]], nil, true),
    ]

    @Test(arguments: cases)
    func pagesGoOnUntilOneComesBackShort(pages: [[Int64]], after: Int64?, done: Bool) {
        var pager = PrunePager(pageSize: 3)
        for page in pages { pager.read(page) }
        #expect(pager.after == after)
        #expect(pager.done == done)
    }
}
