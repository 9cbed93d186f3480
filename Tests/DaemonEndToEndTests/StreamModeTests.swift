import Foundation
import IngestCore
import Outbox
import SnowpipeEmulator
import Synchronization
import TestSupport
import Testing

/// NDJSON text for rows with IDs `ids` (each with a payload object).
func ndjson(_ ids: Range<Int>, padding: Int = 0) -> String {
    let pad = String(repeating: "x", count: padding)
    return ids.map { #"{"ID":\#($0),"PAYLOAD":{"n":\#($0),"p":"\#(pad)"}}"# + "\n" }.joined()
}

/// Writes `text` to `relative` in the watched directory, renamed in (complete at once).
func dropFile(_ harness: DaemonHarness, _ relative: String, _ bytes: [UInt8]) {
    let target = harness.drop + "/" + relative
    try? FileManager.default.createDirectory(
        atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let temporary = harness.root.path + "/tmp-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: temporary, contents: Data(bytes))
    rename(temporary, target)
}

/// The IDs in a streamed table, with how many times each is there.
func idCounts(_ harness: DaemonHarness, table: String) async throws -> [Int: Int] {
    var counts: [Int: Int] = [:]
    for row in try await harness.fixture.emulator.rows(of: table) {
        if let text = row[0], let id = Int(text) { counts[id, default: 0] += 1 }
    }
    return counts
}

/// The rule keys of a stream-mode rule.
func streamRule(format: String) -> String {
    """
        mode: stream
        format: \(format)
    """
}

/// Runs `body` with the daemon streaming its folder as NDJSON into `DB.S.JSON_PIPE`, the emulator committing each
/// append `commitDelay` seconds after it; `adjust` changes the emulator further, `extra` adds `reporter` keys.
func withNDJSONStream(
    commitDelay: Double, adjust: @escaping (inout EmulatorConfiguration) -> Void = { _ in }, extra: String = "",
    _ body: @Sendable (DaemonHarness) async throws -> Void
) async throws {
    try await DaemonHarness.withDaemon(
        .init(adjust: {
            $0.streamingCommitDelaySeconds = commitDelay
            adjust(&$0)
        }), pipe: "DB.S.JSON_PIPE", extra: extra, watchExtra: streamRule(format: "ndjson"), body)
}

@Suite("Stream mode: a folder's rows appended to a Snowpipe Streaming channel, exactly once", .serialized)
struct StreamModeTests {
    @Test func filesOfEverySizeAndFormatLandRowForRowExactlyOnce() async throws {
        try await withNDJSONStream(commitDelay: 0.2) { harness in
            var expected = 0..<0
            func add(_ name: String, _ ids: Range<Int>, padding: Int = 0, gzip: Bool = false) throws {
                var bytes = Array(ndjson(ids, padding: padding).utf8)
                if gzip { bytes = try Compression.gzip(bytes) }
                dropFile(harness, name, bytes)
                expected = expected.isEmpty ? ids : expected.lowerBound..<ids.upperBound
            }
            try add("one.json", 0..<1)
            try add("small.json", 1..<1001)
            try add("gz/compressed.json.gz", 1001..<21001, gzip: true)
            // More than 16 MB: several appends of at most 4 MB.
            try add("big.json", 21001..<41001, padding: 830)
            let big = try FileManager.default.attributesOfItem(atPath: harness.drop + "/big.json")[.size] as! Int
            #expect(big > 16 * 1024 * 1024)
            for index in 0..<50 { try add("many/f\(index).json", (41001 + index * 3)..<(41004 + index * 3)) }
            try await DaemonHarness.waitUntil("every file is LOADED", timeout: .seconds(180)) {
                try await states(harness)["LOADED"] == 54
            }
            let counts = try await idCounts(harness, table: "DB.S.EVENTS")
            #expect(counts.count == expected.count, "distinct rows in the table")
            #expect(counts.values.allSatisfy { $0 == 1 }, "each row once")
            #expect(Set(counts.keys) == Set(expected))
            try await harness.waitForLog("LOADED big.json into DB.S.JSON_PIPE: 20000 rows")
            let summary = await harness.fixture.emulator.channelSummaries()
            #expect(summary.count == 1)
            #expect((summary.first?.appends ?? 0) >= 5, "the big file needs several 4 MB appends")
            #expect(await harness.stop() == 0)
        }
    }

    @Test func channelRefusalsOfEveryKindReopenAndNoGoodFileFails() async throws {
        try await withNDJSONStream(commitDelay: 0.1) { harness in
            // Codes the official SDK knows, codes other clients use, and one nobody knows: all the channel's.
            let refusals: [Fault] = [
                .status(400, code: "STALE_CONTINUATION_TOKEN_SEQUENCER"),
                .status(400, code: "ERR_CHANNEL_MUST_BE_REOPENED"),
                .status(400, code: "ERR_SOMETHING_NEW_AND_UNKNOWN"),
                .status(409, code: "ERR_CHANNEL_HAS_INVALID_ROW_SEQUENCER"),
                .status(404, code: "ERR_CHANNEL_DOES_NOT_EXIST_OR_NOT_AUTHORIZED"),
            ]
            await harness.fixture.emulator.setFaults(
                FaultPlan(script: refusals, probability: 0.3, randomFaults: refusals, seed: 7), for: .appendRows)
            await harness.fixture.emulator.setFaults(
                FaultPlan(script: [.status(409, code: "ERR_OPEN_CHANNEL_IN_PROGRESS")]), for: .openChannel)
            for index in 0..<12 {
                dropFile(harness, "f\(index).json", Array(ndjson(index * 50..<(index + 1) * 50).utf8))
            }
            try await DaemonHarness.waitUntil("a channel refusal was met") {
                await harness.fixture.emulator.statistics().faultsInjected >= refusals.count + 1
            }
            await harness.fixture.emulator.setFaults(nil, for: .appendRows)
            try await DaemonHarness.waitUntil("every file is LOADED", timeout: .seconds(180)) {
                try await states(harness)["LOADED"] == 12
            }
            let counts = try await idCounts(harness, table: "DB.S.EVENTS")
            #expect(Set(counts.keys) == Set(0..<600))
            #expect(counts.values.allSatisfy { $0 == 1 }, "each row once")
            #expect(harness.log.contains("no file is ended for a channel's refusal"))
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aServiceReadingOnlyTheSDKsOffsetParametersAndKeyingStatusInUpperCaseStillEndsEveryFile() async throws {
        let sdkOnly: (inout EmulatorConfiguration) -> Void = {
            $0.ignoresBareOffsetToken = true
            $0.canonicalChannelNames = true
        }
        try await withNDJSONStream(commitDelay: 0.1, adjust: sdkOnly) { harness in
            for index in 0..<3 { dropFile(harness, "f\(index).json", Array(ndjson(index * 5..<index * 5 + 5).utf8)) }
            try await DaemonHarness.waitUntil("every file is LOADED") { try await states(harness)["LOADED"] == 3 }
            let counts = try await idCounts(harness, table: "DB.S.EVENTS")
            #expect(Set(counts.keys) == Set(0..<15) && counts.values.allSatisfy { $0 == 1 })
            #expect(await harness.stop() == 0)
        }
    }

    @Test func aCommitThatStallsIsReportedOnceAndItsRecoveryToo() async throws {
        try await withNDJSONStream(commitDelay: 8, extra: "  stream_stall_minutes: 0.05") { harness in
            dropFile(harness, "slow.json", Array(ndjson(0..<5).utf8))
            try await harness.waitForLog("their rows not committed for")
            let status = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["status", "--config", harness.configPath])
            #expect(status.stdout.contains("not committed for"), "\(status.output)")
            try await harness.waitForLog("commits move again")
            try await DaemonHarness.waitUntil("slow.json is LOADED") { try await states(harness)["LOADED"] == 1 }
            let after = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["status", "--config", harness.configPath])
            #expect(after.stdout.contains("not committed for") == false, "\(after.output)")
            #expect(harness.log.components(separatedBy: "their rows not committed for").count == 2, "said once")
            #expect(await harness.stop() == 0)
        }
    }

    @Test func unusualFolderAndFileNamesStreamOnce() async throws {
        try await withNDJSONStream(commitDelay: 0.1) { harness in
            let names = [
                "dir with space/b.json", "it's/c.json", "x/o'neil.json", "semi;colon/d.json", "pct%20/e.json",
                "ü日本/f.json", "quote\"d.json", "back\\slash.json", "new\nline.json", "emoji-🧊.json",
            ]
            for (index, name) in names.enumerated() {
                dropFile(harness, name, Array(ndjson(index * 10..<index * 10 + 3).utf8))
            }
            try await DaemonHarness.waitUntil("every file is LOADED", timeout: .seconds(90)) {
                try await states(harness)["LOADED"] == names.count
            }
            let counts = try await idCounts(harness, table: "DB.S.EVENTS")
            #expect(counts.count == names.count * 3 && counts.values.allSatisfy { $0 == 1 }, "\(counts)")
            #expect(await harness.stop() == 0)
        }
    }

    @Test func csvWithAHeaderBecomesJSONObjectsByColumnName() async throws {
        try await DaemonHarness.withDaemon(
            .init(adjust: { $0.streamingCommitDelaySeconds = 0.2 }), pipe: "DB.S.T-STREAMING",
            watchExtra: streamRule(format: "csv")
        ) { harness in
            dropFile(harness, "orders.csv", Array("ID,NAME,AMOUNT\n1,\"Smith, J\",2.5\r\n2,,3\n3,c,4\n".utf8))
            try await DaemonHarness.waitUntil("orders.csv is LOADED") { try await states(harness)["LOADED"] == 1 }
            let rows = try await harness.fixture.emulator.rows(of: "DB.S.T")
            #expect(rows.map { $0[0] } == ["1", "2", "3"])
            #expect(rows[0][1] == "Smith, J")
            #expect(rows[1][1] == nil, "an unquoted empty field is null")
            #expect(rows[2][2] == "4.0")
            #expect(await harness.stop() == 0)
        }
    }

    @Test func badRowsMakeAFilePartiallyLoadedWithTheReason() async throws {
        try await withNDJSONStream(commitDelay: 0.2) { harness in
            // Line 2 is not JSON (refused before sending); line 3's ID does not fit the column (rejected by Snowflake).
            let text = #"{"ID":1}"# + "\n" + #"{"ID":2,}"# + "\n" + #"{"ID":"three"}"# + "\n" + #"{"ID":4}"# + "\n"
            dropFile(harness, "mixed.json", Array(text.utf8))
            try await DaemonHarness.waitUntil("mixed.json ends") {
                try await states(harness)["PARTIALLY_LOADED"] == 1
            }
            let outbox = try Outbox(path: harness.stateDirectory + "/outbox.sqlite", readOnly: true)
            let file = try #require(try await outbox.history(path: harness.drop + "/mixed.json").first)
            #expect(file.rowsParsed == 4)
            #expect(file.rowsInserted == 2)
            #expect(file.errorsSeen == 2)
            #expect(file.firstError?.contains("row 2") == true)
            #expect(try await idCounts(harness, table: "DB.S.EVENTS") == [1: 1, 4: 1])
            #expect(await harness.stop() == 0)
        }
    }

    /// 20 SIGKILLs at random moments while files stream, the emulator injecting faults on the streaming endpoints
    /// (stale tokens after an invalidation, 429, 500, dropped connections, answers lost after the append took
    /// effect): afterwards every row is in the table exactly once.
    @Test func killedTwentyTimesWhileStreamingUnderFaultsEveryRowLandsOnce() async throws {
        let database = TemporaryDirectory("stream-soak")
        let faults = [
            Fault.status(429, retryAfter: "0.2"), .status(500), .drop, Fault(drop: true, afterProcessing: true),
            Fault(status: 503, afterProcessing: true),
        ]
        let setup = DaemonHarness.Setup(
            adjust: {
                $0.streamingCommitDelaySeconds = 0.3
                $0.databasePath = database.path + "/emulator.sqlite"
            },
            prepare: { harness in
                for endpoint in [Endpoint.appendRows, .openChannel, .channelStatus, .scopedToken] {
                    await harness.fixture.emulator.setFaults(
                        FaultPlan(probability: 0.15, randomFaults: faults, seed: UInt64(endpoint.rawValue.count)),
                        for: endpoint)
                }
            })
        try await DaemonHarness.withDaemon(
            setup, pipe: "DB.S.JSON_PIPE", watchExtra: streamRule(format: "ndjson"), start: false
        ) { harness in
            var nextID = 0
            var generator = SystemRandomNumberGenerator()
            for round in 0..<20 {
                try harness.start()
                for index in 0..<6 {
                    let rows = [1, 5, 200, 3000][index % 4]
                    dropFile(harness, "r\(round)/f\(index).json", Array(ndjson(nextID..<(nextID + rows)).utf8))
                    nextID += rows
                }
                if round % 4 == 1 {
                    _ = await harness.fixture.emulator.invalidateChannel(
                        pipe: "DB.S.JSON_PIPE",
                        channel: await harness.fixture.emulator.channelSummaries().first?.channel ?? "")
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 100...900, using: &generator)))
                await harness.stop(signal: SIGKILL)
            }
            for endpoint in Endpoint.allCases { await harness.fixture.emulator.setFaults(nil, for: endpoint) }
            try await harness.startAndWaitUntilReady()
            let total = nextID
            try await DaemonHarness.waitUntil("every file is LOADED", timeout: .seconds(240)) {
                try await states(harness)["LOADED"] == 120
            }
            let counts = try await idCounts(harness, table: "DB.S.EVENTS")
            #expect(counts.count == total, "every row is in the table")
            let doubled = counts.filter { $0.value > 1 }
            if doubled.isEmpty == false {
                try? harness.log.write(toFile: "/tmp/stream-soak.log", atomically: true, encoding: .utf8)
            }
            #expect(
                doubled.isEmpty,
                "\(doubled.count) rows loaded more than once, e.g. \(doubled.sorted { $0.key < $1.key }.prefix(5))")
            #expect(await harness.stop() == 0)
        }
    }
}
