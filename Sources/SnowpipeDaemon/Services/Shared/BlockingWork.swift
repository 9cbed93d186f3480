import Dispatch

/// Runs blocking file-system work (directory walks, deletes, cross-filesystem copies) on a Dispatch thread,
/// so it never holds one of the cooperative pool's few threads (two on a 2-core machine) that the HTTP client
/// and the other services need.
enum BlockingWork {
    static let queue = DispatchQueue(label: "snowpiped.blocking", qos: .utility, attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }
}
