import Foundation
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("Snowpipe Streaming: the rows payload (NDJSON, compression, limits) and faults")
struct StreamingPayloadTests {
    let fixture = try! EmulatorFixture()

    /// A scoped token and an open channel's continuation token.
    func openChannel() async -> (token: String, continuation: String) {
        let token = await fixture.scopedToken()
        let response = await fixture.openChannel("C1", scopedToken: token)
        return (token, response.object["next_continuation_token"] as? String ?? "")
    }

    func committedIDs() async throws -> [String?] {
        await fixture.emulator.advanceClock(by: 1)
        return try await fixture.emulator.rows(of: "DB.S.EVENTS").map { $0[0] }
    }

    @Test func crlfLineEndsAndBlankLinesAsTheSDKSendsThemAreAccepted() async throws {
        let (token, ct) = await openChannel()
        let body = "{\"id\":1}\r\n\n{\"id\":2}\n\n  \n{\"id\":3}\r\n"
        let response = await fixture.appendRows("C1", rows: Array(body.utf8), continuationToken: ct, scopedToken: token)
        #expect(response.status == 200)
        #expect(try await committedIDs() == ["1", "2", "3"])
    }

    @Test func aLineThatIsNotJSONRefusesTheWholeAppendAndKeepsTheTokenGood() async throws {
        let (token, ct) = await openChannel()
        let bad = await fixture.appendRows(
            "C1", rows: Array("{\"id\":1}\n{\"id\":2,}\n".utf8), continuationToken: ct, scopedToken: token)
        #expect(bad.status == 400)
        #expect(bad.object["code"] as? String == "ERR_INVALID_ROWS_PAYLOAD")
        #expect((bad.object["message"] as? String)?.contains("Line 2") == true)
        let unterminated = await fixture.appendRows(
            "C1", rows: Array("{\"id\":1}".utf8), continuationToken: ct, scopedToken: token)
        #expect(unterminated.status == 400)
        #expect((unterminated.object["message"] as? String)?.contains("newline") == true)
        let good = await fixture.appendRows(
            "C1", rows: Array("{\"id\":1}\n".utf8), continuationToken: ct, scopedToken: token)
        #expect(good.status == 200)
        #expect(try await committedIDs() == ["1"])
    }

    @Test func gzipAndZstdBodiesAreDecoded() async throws {
        let (token, ct) = await openChannel()
        let gzipped = try Compression.gzip(Array("{\"id\":1}\n{\"id\":2}\n".utf8))
        let first = await fixture.appendRows(
            "C1", rows: gzipped, continuationToken: ct, encoding: "gzip", scopedToken: token)
        #expect(first.status == 200)
        // Two zstd frames back to back, as a streaming compressor may produce.
        let frames = Compression.zstd(Array("{\"id\":3}\n".utf8)) + Compression.zstd(Array("{\"id\":4}\n".utf8))
        let second = await fixture.appendRows(
            "C1", rows: frames, continuationToken: first.object["next_continuation_token"] as? String,
            encoding: "zstd", scopedToken: token)
        #expect(second.status == 200, "\(second.text)")
        #expect(try await committedIDs() == ["1", "2", "3", "4"])
    }

    @Test func corruptOrUnknownEncodingsAreRefused() async {
        let (token, ct) = await openChannel()
        let corrupt = await fixture.appendRows(
            "C1", rows: [1, 2, 3, 4], continuationToken: ct, encoding: "zstd", scopedToken: token)
        #expect(corrupt.status == 400)
        #expect((corrupt.object["message"] as? String)?.contains("zstd") == true)
        let truncated = await fixture.appendRows(
            "C1", rows: Array(Compression.zstd(Array(String(repeating: "{\"id\":1}\n", count: 100).utf8)).dropLast(4)),
            continuationToken: ct, encoding: "zstd", scopedToken: token)
        #expect(truncated.status == 400)
        let brotli = await fixture.appendRows(
            "C1", rows: [1, 2], continuationToken: ct, encoding: "br", scopedToken: token)
        #expect(brotli.status == 415)
        #expect(brotli.object["code"] as? String == "ERR_UNSUPPORTED_CONTENT_ENCODING")
    }

    @Test func aRowsPayloadOver4MBAsSentIsRefused() async {
        let (token, ct) = await openChannel()
        let line = "{\"id\":1,\"payload\":\"" + String(repeating: "x", count: 1000) + "\"}\n"
        let body = Array(String(repeating: line, count: 4200).utf8)
        #expect(body.count > 4 * 1024 * 1024)
        let plain = await fixture.appendRows("C1", rows: body, continuationToken: ct, scopedToken: token)
        #expect(plain.status == 413)
        #expect(plain.object["code"] as? String == "ERR_PAYLOAD_TOO_LARGE")
        // The same rows compressed fit on the wire.
        let compressed = await fixture.appendRows(
            "C1", rows: Compression.zstd(body), continuationToken: ct, encoding: "zstd", scopedToken: token)
        #expect(compressed.status == 200)
    }

    @Test func compressedRowsExpandingPast16MBAreRefused() async {
        let (token, ct) = await openChannel()
        let body = Array(String(repeating: "{\"id\":1}\n", count: 17 * 1024 * 1024 / 9 + 10).utf8)
        let compressed = Compression.zstd(body, level: 19)
        #expect(compressed.count < 4 * 1024 * 1024)
        let response = await fixture.appendRows(
            "C1", rows: compressed, continuationToken: ct, encoding: "zstd", scopedToken: token)
        #expect(response.status == 413)
        #expect(await fixture.emulator.channelSummaries().first?.appends == 0)
    }

    @Test func faultsOnStreamingEndpointsUseTheStreamingEnvelope() async throws {
        let (token, ct) = await openChannel()
        await fixture.emulator.setFaults(
            FaultPlan(script: [.status(429, retryAfter: "2"), .status(500), .drop]), for: .appendRows)
        let rows = Array("{\"id\":1}\n".utf8)
        let limited = await fixture.appendRows("C1", rows: rows, continuationToken: ct, scopedToken: token)
        #expect(limited.status == 429)
        #expect(limited.headers["Retry-After"] == "2")
        #expect(limited.object["code"] as? String == "ERR_TOO_MANY_REQUESTS")
        let failed = await fixture.appendRows("C1", rows: rows, continuationToken: ct, scopedToken: token)
        #expect(failed.status == 500)
        #expect(failed.object["code"] as? String == "ERR_INTERNAL_ERROR")
        let dropped = await fixture.appendRows("C1", rows: rows, continuationToken: ct, scopedToken: token)
        #expect(dropped.dropConnection)
        // None of them appended: the same token still works.
        let ok = await fixture.appendRows("C1", rows: rows, continuationToken: ct, scopedToken: token)
        #expect(ok.status == 200)
        #expect(try await committedIDs() == ["1"])
        #expect(await fixture.emulator.statistics().faultsInjected == 3)
    }

    @Test func aFaultAfterProcessingLosesTheAnswerButTheAppendTookEffect() async throws {
        let (token, ct) = await openChannel()
        await fixture.emulator.setFaults(
            FaultPlan(script: [Fault(status: 503, afterProcessing: true)]), for: .appendRows)
        let rows = Array("{\"id\":1}\n".utf8)
        let lost = await fixture.appendRows("C1", rows: rows, continuationToken: ct, scopedToken: token)
        #expect(lost.status == 503)
        // The retry with the same token is stale: the client must reopen and read the committed offset.
        let retry = await fixture.appendRows("C1", rows: rows, continuationToken: ct, scopedToken: token)
        #expect(retry.status == 400)
        #expect(try await committedIDs() == ["1"])
    }

    @Test func theAdminAPIListsChannelsWithTheirCounts() async throws {
        let (token, ct) = await openChannel()
        _ = await fixture.appendRows(
            "C1", rows: Array("{\"id\":1}\n{\"id\":\"x\"}\n".utf8), continuationToken: ct, endOffset: "1",
            scopedToken: token)
        await fixture.emulator.advanceClock(by: 1)
        let response = await fixture.emulator.handle(EmulatorRequest(method: "GET", path: "/admin/channels"))
        let list = try JSONDecoder().decode([ChannelSummary].self, from: Data(response.body))
        #expect(list.count == 1)
        #expect(list.first?.rowsCommitted == 1)
        #expect(list.first?.rowsRejected == 1)
        #expect(list.first?.appends == 1)
        #expect(list.first?.committedOffsetToken == "1")
        let invalidate = await fixture.emulator.handle(
            EmulatorRequest(
                method: "POST", path: "/admin/channels/invalidate",
                body: Array(#"{"pipe":"DB.S.JSON_PIPE","channel":"c1"}"#.utf8)))
        #expect(invalidate.status == 200)
        #expect(await fixture.emulator.channelSummaries().first?.statusCode == "ERR_CHANNEL_MUST_BE_REOPENED")
    }
}

@Suite("Content-Encoding on every Snowpipe Streaming endpoint")
struct StreamingContentEncodingTests {
    let fixture = try! EmulatorFixture()

    @Test func anOpenAndABulkStatusWithACompressedBodyAreDecodedAndAnUnknownEncodingIsRefused() async throws {
        let token = await fixture.scopedToken()
        let open = await fixture.ingest(
            "PUT", EmulatorFixture.channelPath(pipe: "DB.S.JSON_PIPE", channel: "C1"),
            headers: ["Content-Type": "application/json", "Content-Encoding": "gzip"],
            body: try Compression.gzip(Array(#"{"offset_token":"seeded"}"#.utf8)), scopedToken: token)
        #expect(open.status == 200, "\(open.text)")
        let status = await fixture.ingest(
            "POST", EmulatorFixture.pipePath(pipe: "DB.S.JSON_PIPE", operation: ":bulk-channel-status"),
            headers: ["Content-Type": "application/json", "Content-Encoding": "zstd"],
            body: Compression.zstd(Array(#"{"channel_names":["C1"]}"#.utf8)), scopedToken: token)
        #expect(status.status == 200, "\(status.text)")
        let statuses = status.object["channel_statuses"] as? [String: [String: Any]]
        #expect(statuses?["C1"]?["last_committed_offset_token"] as? String == "seeded")
        let unknown = await fixture.ingest(
            "POST", EmulatorFixture.pipePath(pipe: "DB.S.JSON_PIPE", operation: ":bulk-channel-status"),
            headers: ["Content-Type": "application/json", "Content-Encoding": "br"],
            body: Array(#"{"channel_names":["C1"]}"#.utf8), scopedToken: token)
        #expect(unknown.status == 415)
    }
}
