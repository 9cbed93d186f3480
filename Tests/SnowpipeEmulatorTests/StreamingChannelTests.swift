import Foundation
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("Snowpipe Streaming: channels open, reopen, commit, report and drop as documented")
struct StreamingChannelTests {
    let fixture = try! EmulatorFixture()

    func ndjson(_ ids: Range<Int>) -> [UInt8] {
        Array(ids.map { #"{"id":\#($0),"payload":{"n":\#($0)}}"# + "\n" }.joined().utf8)
    }

    /// Opens `channel` and returns its continuation token.
    func open(_ channel: String, body: String = "{}", token: String) async -> String {
        let response = await fixture.openChannel(channel, body: body, scopedToken: token)
        #expect(response.status == 200, "open: \(response.text)")
        return response.object["next_continuation_token"] as? String ?? ""
    }

    @Test func openingANewChannelReturnsATokenAndTheFullStatus() async {
        let token = await fixture.scopedToken()
        let response = await fixture.openChannel("orders", scopedToken: token)
        #expect(response.status == 200)
        #expect(response.object["next_continuation_token"] is String)
        let status = response.object["channel_status"] as? [String: Any] ?? [:]
        #expect(status["database_name"] as? String == "DB")
        #expect(status["schema_name"] as? String == "S")
        #expect(status["pipe_name"] as? String == "JSON_PIPE")
        #expect(status["channel_name"] as? String == "orders")
        #expect(status["channel_status_code"] as? String == "SUCCESS")
        #expect(status["last_committed_offset_token"] is NSNull)
        #expect(status["created_on_ms"] as? Int == Int(EmulatorFixture.start.timeIntervalSince1970 * 1000))
        for key in ["rows_inserted", "rows_parsed", "rows_error_count", "snowflake_avg_processing_latency_ms"] {
            #expect(status[key] as? Int == 0, "\(key)")
        }
        for key in ["last_error_offset_upper_bound", "last_error_message", "last_error_timestamp"] {
            #expect(status[key] is NSNull, "\(key)")
        }
    }

    @Test func appendedRowsCommitAfterTheDelayAndMoveTheOffsetToken() async throws {
        let token = await fixture.scopedToken()
        let first = await open("C1", token: token)
        let append = await fixture.appendRows(
            "C1", rows: ndjson(0..<3), continuationToken: first, startOffset: "0", endOffset: "2", scopedToken: token)
        #expect(append.status == 200)
        #expect(append.object["next_continuation_token"] as? String != first)
        // Accepted is not committed.
        var status = await fixture.channelStatuses(["C1"], scopedToken: token)["C1"]
        #expect(status?["last_committed_offset_token"] is NSNull)
        #expect(try await fixture.emulator.rows(of: "DB.S.EVENTS").isEmpty)
        await fixture.emulator.advanceClock(by: 1)
        status = await fixture.channelStatuses(["C1"], scopedToken: token)["C1"]
        #expect(status?["last_committed_offset_token"] as? String == "2")
        #expect(status?["rows_inserted"] as? Int == 3)
        #expect(status?["rows_parsed"] as? Int == 3)
        #expect(status?["snowflake_avg_processing_latency_ms"] as? Int == 1000)
        let rows = try await fixture.emulator.rows(of: "DB.S.EVENTS")
        #expect(rows.map { $0[0] } == ["0", "1", "2"])
        #expect(rows[1] == ["1", #"{"n":1}"#, "C1", "2"])
    }

    @Test func theSingleOffsetTokenParameterIsCommittedToo() async {
        let token = await fixture.scopedToken()
        let ct = await open("C1", token: token)
        let response = await fixture.ingest(
            "POST", EmulatorFixture.channelPath(pipe: "DB.S.JSON_PIPE", channel: "C1", data: true, suffix: "/rows"),
            query: ["continuationToken": ct, "offsetToken": "file-7"], body: ndjson(0..<1), scopedToken: token)
        #expect(response.status == 200)
        await fixture.emulator.advanceClock(by: 1)
        let status = await fixture.channelStatuses(["C1"], scopedToken: token)["C1"]
        #expect(status?["last_committed_offset_token"] as? String == "file-7")
    }

    @Test func eachContinuationTokenIsGoodForExactlyOneAppend() async throws {
        let token = await fixture.scopedToken()
        let first = await open("C1", token: token)
        let ok = await fixture.appendRows("C1", rows: ndjson(0..<1), continuationToken: first, scopedToken: token)
        #expect(ok.status == 200)
        let reused = await fixture.appendRows("C1", rows: ndjson(1..<2), continuationToken: first, scopedToken: token)
        #expect(reused.status == 400)
        #expect(reused.object["code"] as? String == "STALE_CONTINUATION_TOKEN_SEQUENCER")
        let next = ok.object["next_continuation_token"] as? String
        let second = await fixture.appendRows("C1", rows: ndjson(1..<2), continuationToken: next, scopedToken: token)
        #expect(second.status == 200)
        await fixture.emulator.advanceClock(by: 1)
        #expect(try await fixture.emulator.rows(of: "DB.S.EVENTS").map { $0[0] } == ["0", "1"])
        let garbage = await fixture.appendRows("C1", rows: ndjson(2..<3), continuationToken: "x", scopedToken: token)
        #expect(garbage.status == 400)
        #expect(garbage.object["code"] as? String == "ERR_INVALID_CONTINUATION_TOKEN")
        let missing = await fixture.appendRows("C1", rows: ndjson(2..<3), continuationToken: nil, scopedToken: token)
        #expect(missing.status == 400)
    }

    @Test func reopeningBumpsTheSequencerAndReturnsTheCommittedOffset() async {
        let token = await fixture.scopedToken()
        let old = await open("C1", token: token)
        _ = await fixture.appendRows(
            "C1", rows: ndjson(0..<2), continuationToken: old, endOffset: "1", scopedToken: token)
        await fixture.emulator.advanceClock(by: 1)
        let reopened = await fixture.openChannel("C1", scopedToken: token)
        let status = reopened.object["channel_status"] as? [String: Any]
        #expect(status?["last_committed_offset_token"] as? String == "1")
        // A writer holding a token from before the reopen is fenced off, even its first token.
        let zombie = await fixture.appendRows("C1", rows: ndjson(9..<10), continuationToken: old, scopedToken: token)
        #expect(zombie.status == 400)
        #expect(zombie.object["code"] as? String == "STALE_CONTINUATION_TOKEN_SEQUENCER")
        let fresh = reopened.object["next_continuation_token"] as? String
        #expect(fresh != old)
        let ok = await fixture.appendRows("C1", rows: ndjson(2..<3), continuationToken: fresh, scopedToken: token)
        #expect(ok.status == 200)
    }

    @Test func reopeningDiscardsRowsInFlightUnlessAskedToFail() async throws {
        let token = await fixture.scopedToken()
        let ct = await open("C1", token: token)
        _ = await fixture.appendRows(
            "C1", rows: ndjson(0..<2), continuationToken: ct, endOffset: "1", scopedToken: token)
        let refused = await fixture.openChannel("C1", body: #"{"fail_on_uncommitted_rows":true}"#, scopedToken: token)
        #expect(refused.status == 409)
        #expect(refused.object["code"] as? String == "ERR_CHANNEL_HAS_UNCOMMITTED_DATA")
        #expect(await fixture.emulator.channelSummaries().first?.rowsInFlight == 2)
        let discarding = await fixture.openChannel("C1", scopedToken: token)
        #expect(discarding.status == 200)
        await fixture.emulator.advanceClock(by: 5)
        #expect(try await fixture.emulator.rows(of: "DB.S.EVENTS").isEmpty)
        let status = await fixture.channelStatuses(["C1"], scopedToken: token)["C1"]
        #expect(status?["last_committed_offset_token"] is NSNull)
    }

    @Test func anOffsetTokenGivenOnOpenBecomesTheCommittedOne() async {
        let token = await fixture.scopedToken()
        let response = await fixture.openChannel("C1", body: #"{"offset_token":"offset-41"}"#, scopedToken: token)
        let status = response.object["channel_status"] as? [String: Any]
        #expect(status?["last_committed_offset_token"] as? String == "offset-41")
    }

    @Test func pathNamesAreCaseInsensitiveAndBulkStatusNamesAreNot() async {
        let token = await fixture.scopedToken()
        let ct = await open("MyChannel", token: token)
        let upper = await fixture.appendRows(
            "MYCHANNEL", pipe: "db.s.json_pipe", rows: ndjson(0..<1), continuationToken: ct, scopedToken: token)
        #expect(upper.status == 200)
        let statuses = await fixture.channelStatuses(["MyChannel", "MYCHANNEL", "nope"], scopedToken: token)
        #expect(Set(statuses.keys) == ["MyChannel"])
        // Reopening under another case is the same channel.
        let again = await fixture.openChannel("mychannel", scopedToken: token)
        #expect((again.object["channel_status"] as? [String: Any])?["channel_name"] as? String == "MyChannel")
        #expect(await fixture.emulator.channelSummaries().count == 1)
    }

    @Test func rowsThatDoNotFitTheTableAreSkippedAndCounted() async throws {
        let token = await fixture.scopedToken()
        let ct = await open("C1", token: token)
        let rows =
            Array(#"{"id":1}"#.utf8) + [10] + Array(#"{"id":"two"}"#.utf8) + [10] + Array("[3]\n".utf8)
            + Array(#"{"id":4}"#.utf8) + [10]
        let response = await fixture.appendRows(
            "C1", rows: rows, continuationToken: ct, startOffset: "10", endOffset: "13", scopedToken: token)
        #expect(response.status == 200)
        await fixture.emulator.advanceClock(by: 1)
        let status = await fixture.channelStatuses(["C1"], scopedToken: token)["C1"] ?? [:]
        #expect(status["rows_inserted"] as? Int == 2)
        #expect(status["rows_parsed"] as? Int == 4)
        #expect(status["rows_error_count"] as? Int == 2)
        #expect(status["rows_errors"] as? Int == 2)
        #expect((status["last_error_message"] as? String)?.contains("Numeric value 'two' is not recognized") == true)
        #expect(status["last_error_offset_upper_bound"] as? String == "13")
        #expect(status["last_error_timestamp"] is Int)
        #expect(status["last_committed_offset_token"] as? String == "13")
        #expect(try await fixture.emulator.rows(of: "DB.S.EVENTS").map { $0[0] } == ["1", "4"])
        let summary = await fixture.emulator.channelSummaries().first
        #expect(summary?.rowsCommitted == 2)
        #expect(summary?.rowsRejected == 2)
        #expect(summary?.appends == 1)
        let stats = await fixture.emulator.statistics()
        #expect(stats.streamingRowsCommitted == 2 && stats.streamingRowsRejected == 2 && stats.streamingAppends == 1)
    }

    @Test func droppingAChannelForgetsItAndRefusesWhileRowsAreInFlightWhenAsked() async {
        let token = await fixture.scopedToken()
        let ct = await open("C1", token: token)
        _ = await fixture.appendRows("C1", rows: ndjson(0..<1), continuationToken: ct, scopedToken: token)
        let refused = await fixture.dropChannel("C1", body: #"{"fail_on_uncommitted_rows":true}"#, scopedToken: token)
        #expect(refused.status == 409)
        let dropped = await fixture.dropChannel("C1", scopedToken: token)
        #expect(dropped.status == 200)
        #expect(await fixture.channelStatuses(["C1"], scopedToken: token).isEmpty)
        let append = await fixture.appendRows("C1", rows: ndjson(1..<2), continuationToken: ct, scopedToken: token)
        #expect(append.status == 404)
        #expect(append.object["code"] as? String == "ERR_CHANNEL_DOES_NOT_EXIST_OR_NOT_AUTHORIZED")
        #expect(await fixture.dropChannel("C1", scopedToken: token).status == 404)
        // Recreated, it does not take a token of the dropped one.
        _ = await open("C1", token: token)
        let stale = await fixture.appendRows("C1", rows: ndjson(1..<2), continuationToken: ct, scopedToken: token)
        #expect(stale.status == 400)
    }

    @Test func bulkStatusNeedsChannelNames() async {
        let token = await fixture.scopedToken()
        let response = await fixture.ingest(
            "POST", EmulatorFixture.pipePath(pipe: "DB.S.JSON_PIPE", operation: ":bulk-channel-status"),
            body: Array("{}".utf8), scopedToken: token)
        #expect(response.status == 400)
        #expect(response.object["code"] as? String == "ERR_INVALID_REQUEST")
    }

    @Test func theTablesDefaultStreamingPipeIsItsNameWithStreaming() async throws {
        let token = await fixture.scopedToken()
        let response = await fixture.openChannel("C1", pipe: "DB.S.EVENTS-STREAMING", scopedToken: token)
        #expect(response.status == 200)
        let ct = response.object["next_continuation_token"] as? String
        _ = await fixture.appendRows(
            "C1", pipe: "DB.S.EVENTS-STREAMING", rows: ndjson(0..<1), continuationToken: ct, scopedToken: token)
        await fixture.emulator.advanceClock(by: 1)
        #expect(try await fixture.emulator.rows(of: "DB.S.EVENTS").count == 1)
    }

    @Test func anInvalidatedChannelRefusesEveryTokenUntilReopened() async {
        let token = await fixture.scopedToken()
        let ct = await open("C1", token: token)
        #expect(await fixture.emulator.invalidateChannel(pipe: "DB.S.JSON_PIPE", channel: "C1"))
        let refused = await fixture.appendRows("C1", rows: ndjson(0..<1), continuationToken: ct, scopedToken: token)
        #expect(refused.status == 400)
        #expect(refused.object["code"] as? String == "STALE_CONTINUATION_TOKEN_SEQUENCER")
        let status = await fixture.channelStatuses(["C1"], scopedToken: token)["C1"]
        #expect(status?["channel_status_code"] as? String == "ERR_CHANNEL_MUST_BE_REOPENED")
        let fresh = await open("C1", token: token)
        let ok = await fixture.appendRows("C1", rows: ndjson(0..<1), continuationToken: fresh, scopedToken: token)
        #expect(ok.status == 200)
    }

    @Test func committedOffsetsSurviveARestartAndOldTokensNeedAReopen() async throws {
        let database = TemporaryDirectory("emulator-db")
        let fixture = try EmulatorFixture { $0.databasePath = database.path + "/emulator.sqlite" }
        let token = await fixture.scopedToken()
        let ct = await fixture.openChannel("C1", scopedToken: token).object["next_continuation_token"] as? String
        let appended = await fixture.appendRows(
            "C1", rows: ndjson(0..<2), continuationToken: ct, endOffset: "1", scopedToken: token)
        await fixture.emulator.advanceClock(by: 1)
        let next = appended.object["next_continuation_token"] as? String
        #expect(await fixture.emulator.channelSummaries().first?.committedOffsetToken == "1")
        let restarted = try fixture.restarted()
        #expect(await restarted.emulator.channelSummaries().first?.committedOffsetToken == "1")
        let newToken = await restarted.scopedToken()
        let stale = await restarted.appendRows(
            "C1", rows: ndjson(2..<3), continuationToken: next, scopedToken: newToken)
        #expect(stale.status == 400, "\(stale.text)")
        let reopened = await restarted.openChannel("C1", scopedToken: newToken)
        let status = reopened.object["channel_status"] as? [String: Any]
        #expect(status?["last_committed_offset_token"] as? String == "1")
        #expect(status?["rows_inserted"] as? Int == 2)
        // Scoped tokens of the old instance are not known to the new one.
        #expect(await restarted.openChannel("C1", scopedToken: token).status == 401)
    }
}
