import Foundation
import IngestCore
import Outbox
import TestSupport
import Testing

@Suite("The outbox keeps every state change durable and exact")
struct OutboxTests {
    let directory = TemporaryDirectory("outbox")
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func makeOutbox() throws -> Outbox { try Outbox(path: directory.path + "/outbox.sqlite") }

    func files(_ count: Int, prefix: String = "f") -> [DiscoveredFile] {
        (0..<count).map {
            DiscoveredFile(
                pipe: "P", localPath: "/drop/\(prefix)\($0).csv", stagePath: "\(prefix)\($0).csv", size: 10,
                mtimeNanoseconds: 1)
        }
    }

    @Test func aFileVersionIsRecordedOnceAndANewVersionOfAnUnsentFileReplacesIt() async throws {
        let outbox = try makeOutbox()
        #expect(try await outbox.record(files(3), now: now).count == 3)
        #expect(try await outbox.record(files(3), now: now).isEmpty)
        var changed = files(1)[0]
        changed.mtimeNanoseconds = 2
        changed.size = 20
        let replaced = try await outbox.record([changed], now: now)
        #expect(replaced.count == 1)
        #expect(try await outbox.pendingCount(pipe: "P") == 3)
        let batch = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 10, now: now) { "r" })
        #expect(batch.files.first { $0.stagePath == "f0.csv" }?.size == 20)
    }

    @Test func aNewVersionOfASentPathIsRecordedSkippedWithWhatToDo() async throws {
        let outbox = try makeOutbox()
        try await outbox.record(files(1), now: now)
        let batch = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 10, now: now) { "r" })
        try await outbox.beginAttempt(batchID: batch.id)
        // Changed while its batch is in flight: it may already have been read by Snowpipe.
        var inFlight = files(1)[0]
        inFlight.mtimeNanoseconds = 2
        let first = try await outbox.record([inFlight], now: now)
        #expect(first.map(\.state) == [.skipped])
        try await outbox.completeBatch(batch, skippedPaths: [], now: now)
        var changed = files(1)[0]
        changed.mtimeNanoseconds = 3
        let recorded = try await outbox.record([changed], now: now.addingTimeInterval(60))
        #expect(recorded.map(\.state) == [.skipped])
        let detail = try #require(recorded.first?.detail)
        #expect(detail.contains("changed after its path was sent to Snowpipe"))
        #expect(detail.contains("renaming this whole file would load the earlier rows twice"))
        #expect(try await outbox.pendingCount(pipe: "P") == 0)
        // 14 days after the send, Snowpipe loads the path again: a new version is pending.
        var later = files(1)[0]
        later.mtimeNanoseconds = 4
        let fresh = try await outbox.record([later], now: now.addingTimeInterval(14 * 86_400 + 1))
        #expect(fresh.map(\.state) == [.pending])
    }

    @Test func aVersionKnownFromAnOlderRowIsNotRecordedAgain() async throws {
        let outbox = try makeOutbox()
        let first = files(1)[0]
        try await outbox.record([first], now: now)
        let batch = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 10, now: now) { "r" })
        try await outbox.completeBatch(batch, skippedPaths: [], now: now)
        var changed = first
        changed.mtimeNanoseconds = 2
        #expect(try await outbox.record([changed], now: now).map(\.state) == [.skipped])
        // Set back to the first version (its size and mtime): that version is known from the older row.
        #expect(try await outbox.record([first], now: now).isEmpty)
        #expect(try await outbox.files(inStates: FileState.allCases).count == 2)
    }

    @Test func aBatchCarriesOneRowPerStagePath() async throws {
        let outbox = try makeOutbox()
        // Two local files that map to one stage path (two rules of one pipe): one per call.
        let twins = ["/a/x.csv", "/b/x.csv"].map {
            DiscoveredFile(pipe: "P", localPath: $0, stagePath: "x.csv", size: 1, mtimeNanoseconds: 1)
        }
        try await outbox.record([twins[0]], now: now)
        try await outbox.record(files(2), now: now)
        #expect(try await outbox.record([twins[1]], now: now).map(\.localPath) == ["/b/x.csv"])
        #expect(try await outbox.pendingCount(pipe: "P") == 3)
        let batch = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 10, now: now) { "r" })
        #expect(Set(batch.files.map(\.stagePath)).count == batch.files.count)
        #expect(batch.files.allSatisfy { $0.batchID == batch.id })
    }

    @Test func retryNeverRequeuesALoadedFile() async throws {
        let outbox = try makeOutbox()
        try await outbox.record(files(2), now: now)
        let batch = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 10, now: now) { "r" })
        try await outbox.completeBatch(batch, skippedPaths: [], now: now)
        let reports = [
            LoadReport(stagePath: "f0.csv", status: "LOADED", rowsInserted: 1, rowsParsed: 1),
            LoadReport(stagePath: "f1.csv", status: "LOAD_FAILED", errorsSeen: 1, firstError: "bad"),
        ]
        let ended = try await outbox.applyReports(
            pipe: "P", reports: reports, beginMark: nil, reportedThrough: nil, now: now)
        #expect(try await outbox.requeue(ids: ended.map(\.id)) == 1)
        #expect(try await outbox.files(inStates: [.loaded]).map(\.stagePath) == ["f0.csv"])
    }

    @Test func anUnsentBatchIsResentWithTheSameRequestIdAndFiles() async throws {
        let outbox = try makeOutbox()
        try await outbox.record(files(5), now: now)
        let first = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 3, now: now) { "req-1" })
        #expect(first.files.count == 3)
        try await outbox.beginAttempt(batchID: first.id)
        let again = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 3, now: now) { "req-2" })
        #expect(again.requestID == "req-1")
        #expect(again.files.map(\.id) == first.files.map(\.id))
        #expect(again.attempts == 1)
    }

    @Test func skippedOnAFirstAttemptIsSkippedButOnARetryStaysSubmitted() async throws {
        let outbox = try makeOutbox()
        try await outbox.record(files(2), now: now)
        let batch = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 10, now: now) { "r" })
        let skipped = try await outbox.completeBatch(batch, skippedPaths: ["f0.csv"], now: now)
        #expect(skipped.map(\.stagePath) == ["f0.csv"])
        #expect(skipped.first?.state == .skipped)
        try await outbox.record(files(2, prefix: "g"), now: now)
        var retried = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 10, now: now) { "r2" })
        try await outbox.beginAttempt(batchID: retried.id)
        retried = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 10, now: now) { "r3" })
        #expect(try await outbox.completeBatch(retried, skippedPaths: ["g0.csv"], now: now).isEmpty)
        let submitted = try await outbox.files(inStates: [.submitted])
        #expect(submitted.map(\.stagePath).sorted() == ["f1.csv", "g0.csv", "g1.csv"])
        #expect(submitted.first { $0.stagePath == "g0.csv" }?.maybeSkipped == true)
    }

    @Test func aReportEndsASubmittedFileAndAdvancesTheCursorInOneStep() async throws {
        let outbox = try makeOutbox()
        try await outbox.record(files(2), now: now)
        let batch = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 10, now: now) { "r" })
        try await outbox.beginAttempt(batchID: batch.id)
        try await outbox.completeBatch(batch, skippedPaths: [], now: now)
        let finished = try await outbox.applyReports(
            pipe: "P",
            reports: [
                LoadReport(stagePath: "f0.csv", status: "LOADED", rowsInserted: 7, timeReceived: now),
                LoadReport(stagePath: "unknown.csv", status: "LOADED"),
            ],
            beginMark: "1_5", reportedThrough: now, now: now)
        #expect(finished.map(\.stagePath) == ["f0.csv"])
        #expect(finished.first?.rowsInserted == 7)
        #expect(try await outbox.reportCursor(pipe: "P").beginMark == "1_5")
        #expect(try await outbox.submittedCount(pipe: "P") == 1)
    }

    @Test func aReportForAFileWhoseBatchIsInFlightEndsItBeforeThe2xxIsRecorded() async throws {
        let outbox = try makeOutbox()
        try await outbox.record(files(1), now: now)
        let batch = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 10, now: now) { "r" })
        try await outbox.beginAttempt(batchID: batch.id)
        let finished = try await outbox.applyReports(
            pipe: "P", reports: [LoadReport(stagePath: "f0.csv", status: "LOADED", timeReceived: now)],
            beginMark: "1_1", reportedThrough: now, now: now)
        #expect(finished.map(\.state) == [.loaded])
        try await outbox.completeBatch(batch, skippedPaths: ["f0.csv"], now: now)
        #expect(try await outbox.files(inStates: [.loaded]).count == 1)
        #expect(try await outbox.submittedCount(pipe: "P") == 0)
    }

    @Test func aReportFromBeforeTheBatchBelongsToAnOlderVersionAndIsIgnored() async throws {
        let outbox = try makeOutbox()
        try await outbox.record(files(1), now: now)
        let batch = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 10, now: now) { "r" })
        try await outbox.beginAttempt(batchID: batch.id)
        try await outbox.completeBatch(batch, skippedPaths: [], now: now)
        let old = now.addingTimeInterval(-3600)
        let finished = try await outbox.applyReports(
            pipe: "P", reports: [LoadReport(stagePath: "f0.csv", status: "LOADED", timeReceived: old)],
            beginMark: nil, reportedThrough: nil, now: now)
        #expect(finished.isEmpty)
    }

    @Test func overdueFilesEndNotReportedOrSkipped() async throws {
        let outbox = try makeOutbox()
        try await outbox.record(files(2), now: now)
        var batch = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 10, now: now) { "r" })
        try await outbox.beginAttempt(batchID: batch.id)
        batch = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 10, now: now) { "r" })
        try await outbox.completeBatch(batch, skippedPaths: ["f1.csv"], now: now)
        let overdue = try await outbox.overdue(pipe: "P", submittedBefore: now.addingTimeInterval(1))
        let ended = try await outbox.expire(overdue, now: now)
        #expect(Set(ended.map(\.state)) == [.notReported, .skipped])
        #expect(try await outbox.pendingActions().count == 2)
    }

    @Test func aFinishedRecordCarriesEveryColumnBackFromTheDatabase() async throws {
        let outbox = try makeOutbox()
        let recorded = try await outbox.record(files(1), now: now)
        #expect(recorded.first?.state == .pending && recorded.first?.discoveredAt == now)
        let batch = try #require(try await outbox.nextBatch(pipe: "P", maxFiles: 10, now: now) { "req-9" })
        try await outbox.beginAttempt(batchID: batch.id)
        try await outbox.completeBatch(batch, skippedPaths: [], now: now.addingTimeInterval(1))
        let report = LoadReport(
            stagePath: "f0.csv", status: "PARTIALLY_LOADED", rowsInserted: 7, rowsParsed: 9, errorsSeen: 2,
            firstError: "bad number", firstErrorLine: 3, firstErrorColumn: "AMOUNT", timeReceived: now)
        let finished = try await outbox.applyReports(
            pipe: "P", reports: [report], beginMark: "m1", reportedThrough: now, now: now.addingTimeInterval(2))
        let file = try #require(finished.first)
        #expect(file.localPath == "/drop/f0.csv" && file.stagePath == "f0.csv" && file.size == 10)
        #expect(file.state == .partiallyLoaded && file.requestID == "req-9" && file.batchID == batch.id)
        #expect(file.submittedAt == now.addingTimeInterval(1) && file.finishedAt == now.addingTimeInterval(2))
        #expect(file.rowsInserted == 7 && file.rowsParsed == 9 && file.errorsSeen == 2)
        #expect(file.firstError == "bad number" && file.firstErrorLine == 3 && file.firstErrorColumn == "AMOUNT")
        #expect(file.maybeSkipped == false && file.mtimeNanoseconds == 1)
    }

    @Test func theReportCursorNeverMovesBack() async throws {
        let outbox = try makeOutbox()
        let later = now.addingTimeInterval(60)
        _ = try await outbox.applyReports(pipe: "P", reports: [], beginMark: "m1", reportedThrough: later, now: now)
        // A history page of an older window (an overdue check) must not rewind what a gap scan established.
        _ = try await outbox.applyReports(pipe: "P", reports: [], beginMark: nil, reportedThrough: now, now: now)
        let cursor = try await outbox.reportCursor(pipe: "P")
        #expect(cursor.beginMark == "m1" && cursor.reportedThrough == later)
    }

    @Test func anEmptyOutboxFileIsRefusedReadOnlyOrNotAndLeftAsItIs() throws {
        let path = directory.path + "/empty.sqlite"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        for readOnly in [true, false] {
            do {
                _ = try Outbox(path: path, readOnly: readOnly)
                Issue.record("opening an empty outbox should fail")
            } catch {
                #expect(error.description.contains("\(path) is an empty file (0 bytes)"))
                #expect(error.description.contains("restore the outbox from a backup"))
            }
        }
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) == 0)
    }

    @Test func aForeignFileIsNotTakenForAnOutbox() throws {
        let path = directory.path + "/foreign.sqlite"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("not a database at all".utf8)))
        #expect(throws: OutboxError.self) { try Outbox(path: path) }
        do {
            _ = try Outbox(path: path)
        } catch {
            #expect(error.description.contains("is not a snowpiped outbox"))
        }
    }

    @Test func aNewOutboxIsCreatedWholeUnderItsNameAndReopened() async throws {
        let path = directory.path + "/new.sqlite"
        try await Outbox(path: path).record(files(1), now: now)
        #expect(FileManager.default.fileExists(atPath: path + ".creating") == false)
        let reopened = try Outbox(path: path, readOnly: true)
        #expect(try await reopened.files(inStates: [.pending]).count == 1)
    }
}

@Suite("A changed pipe never sends a file twice and leaves nothing waiting for a pipe no rule names")
struct OutboxRetirementTests {
    let directory = TemporaryDirectory("outbox-retire")
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func file(_ name: String, pipe: String) -> DiscoveredFile {
        DiscoveredFile(pipe: pipe, localPath: "/drop/\(name)", stagePath: name, size: 10, mtimeNanoseconds: 1)
    }

    @Test func filesFinishedUnderTheOldPipeAreHeldAndOnlyNewOnesAreQueued() async throws {
        let outbox = try Outbox(path: directory.path + "/outbox.sqlite")
        try await outbox.record([file("a.csv", pipe: "OLD"), file("b.csv", pipe: "OLD")], now: now)
        let batch = try #require(try await outbox.nextBatch(pipe: "OLD", maxFiles: 10, now: now) { "r" })
        try await outbox.beginAttempt(batchID: batch.id)
        try await outbox.completeBatch(batch, skippedPaths: [], now: now)
        let recording = try await outbox.recordDiscovered(
            [file("a.csv", pipe: "NEW"), file("b.csv", pipe: "NEW"), file("c.csv", pipe: "NEW")], now: now)
        #expect(recording.inserted.map(\.localPath) == ["/drop/c.csv"])
        #expect(recording.heldElsewhere == ["OLD": ["/drop/a.csv", "/drop/b.csv"]])
        // The old pipe's submitted files are followed, not ended.
        let retirement = try await outbox.retire(pipesOtherThan: ["NEW"], covered: { _ in true }, now: now)
        #expect(retirement.followed == ["OLD"])
        #expect(retirement.ended.isEmpty && retirement.released.isEmpty)
    }

    @Test func aTypoPipesUnsentFilesAreReleasedToTheFixedRuleAndItsStalledNoteCleared() async throws {
        let outbox = try Outbox(path: directory.path + "/outbox.sqlite")
        try await outbox.record([file("new.csv", pipe: "TYPO"), file("gone.csv", pipe: "TYPO")], now: now)
        // The typo pipe answered 404 to every attempt: nothing registered.
        let batch = try #require(try await outbox.nextBatch(pipe: "TYPO", maxFiles: 10, now: now) { "r" })
        for _ in 0..<3 {
            try await outbox.beginAttempt(batchID: batch.id)
            try await outbox.attemptRefused(batchID: batch.id)
        }
        try await outbox.setSubmitProblem(pipe: "TYPO", "HTTP 404", now: now)
        let retirement = try await outbox.retire(
            pipesOtherThan: ["FIXED"], covered: { $0 == "/drop/new.csv" }, now: now)
        #expect(retirement.released == ["TYPO": 1])
        #expect(retirement.ended.map(\.localPath) == ["/drop/gone.csv"])
        #expect(retirement.ended.first?.state == .rejected)
        #expect(retirement.followed.isEmpty)
        let typo = try await outbox.summary().first { $0.pipe == "TYPO" }
        #expect(typo?.counts["pending"] == nil, "nothing left pending for the typo")
        #expect(typo?.submitProblem == nil)
        // The fixed rule's scan records the released file for its own pipe.
        let again = try await outbox.record([file("new.csv", pipe: "FIXED")], now: now)
        #expect(again.map(\.state) == [.pending])
    }

    @Test func aFileWhoseCallGotNoAnswerEndsNamingTheOldPipeInsteadOfMoving() async throws {
        let outbox = try Outbox(path: directory.path + "/outbox.sqlite")
        try await outbox.record([file("maybe.csv", pipe: "OLD")], now: now)
        let batch = try #require(try await outbox.nextBatch(pipe: "OLD", maxFiles: 10, now: now) { "r" })
        try await outbox.beginAttempt(batchID: batch.id)  // then a timeout: no answer
        let retirement = try await outbox.retire(pipesOtherThan: ["NEW"], covered: { _ in true }, now: now)
        #expect(retirement.ended.map(\.state) == [.notReported])
        #expect(retirement.ended.first?.detail?.contains("may have loaded there") == true)
        // And the new rule does not queue it: the old pipe's history holds it.
        let recording = try await outbox.recordDiscovered([file("maybe.csv", pipe: "NEW")], now: now)
        #expect(recording.inserted.isEmpty)
        #expect(recording.heldElsewhere["OLD"] == ["/drop/maybe.csv"])
    }
}
