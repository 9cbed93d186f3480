/// Which finished rows the pruner reads next: keyset paging on the row id, until a page comes back short. A page
/// whose rows are all kept (their files still in place, unchanged, with `after_load: keep`) must not end the pass:
/// the rows behind it may belong to files deleted since, and stopping there would keep them for ever (the bug this
/// type replaced: paging by "the oldest N finished" and stopping when a page removed nothing). The key is the id
/// alone, not `(finished_at, id)`: the id is exact and total, while `finished_at` goes through a floating-point
/// `Date` on its way back, and a key off by an ulp would read a row twice or skip one. Pure.
public struct PrunePager: Sendable, Equatable {
    /// Default rows per page.
    public static let defaultPageSize = 5000

    public let pageSize: Int
    /// The next page starts after this row id (nil: from the first).
    public private(set) var after: Int64?
    /// The last page was short: the pass is over.
    public private(set) var done = false

    public init(pageSize: Int = defaultPageSize) {
        self.pageSize = pageSize
    }

    /// Records a page read, its row ids in ascending order, whatever was removed of it.
    public mutating func read(_ ids: [Int64]) {
        if let last = ids.last { after = last }
        if ids.count < pageSize { done = true }
    }
}
