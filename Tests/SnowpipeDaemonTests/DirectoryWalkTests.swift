import FileWatching
import Foundation
import TestSupport
import Testing

/// The start-up scan takes its directory walk in pieces, so a large backlog is never listed whole.
@Suite("A directory walk in pieces gives every file once, as a whole scan would")
struct DirectoryWalkTests {
    @Test func piecesOfAHundredCoverTheTreeOnceAndHonourTheFilter() throws {
        let tree = TemporaryDirectory("walk")
        for index in 0..<120 { tree.create("f\(index).csv", "x") }
        try FileManager.default.createDirectory(atPath: tree.path + "/sub/deeper", withIntermediateDirectories: true)
        for index in 0..<130 { tree.create("sub/deeper/g\(index).csv", "x") }
        for index in 0..<7 { tree.create("sub/skip\(index).tmp", "x") }
        let filter = GlobFilter(include: ["*.csv"], exclude: [])
        let walk = DirectoryWalk(tree.path, recursive: true, filter: filter)
        var pieces: [Int] = []
        var seen: [String] = []
        while true {
            let piece = walk.next(upTo: 100)
            if piece.isEmpty { break }
            pieces.append(piece.count)
            seen += piece.map(\.path)
        }
        #expect(pieces == [100, 100, 50])
        #expect(Set(seen).count == 250 && seen.count == 250, "every file once")
        #expect(Set(seen) == Set(DirectoryScanner.scan(tree.path, recursive: true, filter: filter).map(\.path)))
        #expect(walk.next(upTo: 100).isEmpty, "a finished walk stays finished")
        let flat = DirectoryWalk(tree.path, recursive: false, filter: filter).next(upTo: .max)
        #expect(flat.count == 120, "not recursive: the root's files only")
    }
}
