import Foundation
import IngestCore
import SnowflakeAuth
import SnowpipeEmulator
import SnowpipeHTTPClient
import StageStorage
import TestSupport
import Testing

/// Runs `body` with moto (signatures checked) and the real daemon uploading `harness.drop` to the internal
/// stage `DB.S.UP_STAGE` (encrypted or SSE) of the emulator, whose pipe `DB.S.UP_PIPE` copies from it into
/// `DB.S.T`; with `tableStage`, to the table stage `DB.S.%T` the pipe copies from instead. `extraRule` adds keys to
/// the watch rule.
func withStageUpload(
    encryption: StageDefinition.Encryption = .full, tableStage: Bool = false, extraRule: String = "",
    start: Bool = true,
    putThresholdBytes: Int = SnowpipeEmulator.defaultPutThresholdBytes, pipeStagePath: String? = nil,
    prepare: @escaping @Sendable (DaemonHarness, MotoS3) async throws -> Void = { _, _ in },
    _ body: @Sendable (DaemonHarness, MotoS3) async throws -> Void
) async throws {
    try await MotoS3.withServer { moto in
        let setup = DaemonHarness.Setup(
            adjust: { configuration in
                configuration.stageStorage = StageStorageSettings(
                    endpoint: moto.endpoint, region: moto.region, bucket: moto.bucket,
                    accessKeyID: moto.admin.accessKeyID, secretAccessKey: moto.admin.secretAccessKey,
                    roleARN: moto.roleARN)
                configuration.stages = [
                    StageDefinition(
                        name: "DB.S.UP_STAGE", encryption: encryption,
                        prefix: encryption == .none ? "ext/landing/" : nil)
                ]
                configuration.pipes.append(
                    PipeDefinition(
                        name: "DB.S.UP_PIPE", stageDirectory: "", table: "DB.S.T",
                        columns: [
                            .init(name: "ID", type: .number), .init(name: "NAME", type: .varchar),
                            .init(name: "AMOUNT", type: .float),
                        ],
                        format: .init(type: .csv, skipHeader: 1), stage: tableStage ? "DB.S.%T" : "DB.S.UP_STAGE",
                        stagePath: pipeStagePath))
                configuration.users[0].pipes.append("DB.S.UP_PIPE")
                configuration.loadDelaySeconds = 0.2
                configuration.putThresholdBytes = putThresholdBytes
            }, prepare: { harness in try await prepare(harness, moto) })
        // encryption .none: an external S3 stage, written with the rule's own (temporary) credentials from a file.
        let secrets = TemporaryDirectory("s3-credentials")
        let credentials = secrets.path + "/aws"
        try """
        AWS_ACCESS_KEY_ID=\(moto.temporary.accessKeyID)
        AWS_SECRET_ACCESS_KEY=\(moto.temporary.secretAccessKey)
        AWS_SESSION_TOKEN=\(moto.temporary.sessionToken ?? "")
        """.write(toFile: credentials, atomically: true, encoding: .utf8)
        let rule =
            encryption == .none
            ? """
                stage:
                  kind: s3
                  bucket: \(moto.bucket)
                  prefix: ext/landing
                  path: landing
                  region: \(moto.region)
                  endpoint: \(moto.endpoint)
                  credentials: {file: \(credentials)}
            \(extraRule)
            """
            : """
                stage:
                  kind: internal
                  name: \(tableStage ? "DB.S.%T" : "DB.S.UP_STAGE")
                  path: landing
                  endpoint: \(moto.endpoint)
            \(extraRule)
            """
        try await DaemonHarness.withDaemon(setup, pipe: "DB.S.UP_PIPE", watchExtra: rule, start: start) { harness in
            try await body(harness, moto)
        }
    }
}

/// The IDs loaded into `DB.S.T`, with how many times each is there.
func loadedIDs(_ harness: DaemonHarness) async throws -> [Int: Int] {
    var counts: [Int: Int] = [:]
    for row in try await harness.fixture.emulator.rows(of: "DB.S.T") {
        if let text = row[0], let id = Int(text.split(separator: ".")[0]) { counts[id, default: 0] += 1 }
    }
    return counts
}

@Suite("Upload rules: a plain folder uploaded to an internal stage, verified, then loaded once", .serialized)
struct StageUploadTests {
    @Test(arguments: [StageDefinition.Encryption.full, .sse, .none])
    func filesDroppedInAPlainFolderEndLoadedWithTheirRows(encryption: StageDefinition.Encryption) async throws {
        try await withStageUpload(encryption: encryption) { harness, moto in
            harness.dropCSV("a.csv", firstID: 1, rows: 3, renameIn: true)
            harness.dropCSV("nested/dir/b.csv", firstID: 10, rows: 2, renameIn: true)
            let gzipped = try Compression.gzip(Array("ID,NAME,AMOUNT\n20,z,1.5\n21,y,2.5\n".utf8))
            dropFile(harness, "c.csv.gz", gzipped)
            for name in ["a.csv", "b.csv", "c.csv.gz"] {
                do {
                    try await harness.waitForLog("LOADED \(name)", timeout: .seconds(30))
                } catch {
                    Issue.record("\(error)\n\(harness.log.suffix(3000))")
                    throw error
                }
            }
            let ids = try await loadedIDs(harness)
            #expect(ids == [1: 1, 2: 1, 3: 1, 10: 1, 11: 1, 20: 1, 21: 1], "\(ids)")
            #expect(harness.log.contains("landing/nested/dir/"), "the stage path keeps the folders")
            if encryption == .none {
                #expect(
                    try await moto.requestLog().allSatisfy { $0.path.hasPrefix("/\(moto.bucket)/ext/landing/landing/") }
                )
            }
        }
    }

    /// `COPY INTO T FROM @DB.S.UP_STAGE/incoming`: insertFiles paths are relative to `incoming/`, and the rule's
    /// `pipe_location` puts the objects there.
    @Test(arguments: [StageDefinition.Encryption.full, .none])
    func aPipeCopyingFromASubPathOfTheStageLoadsTheFilesUploadedUnderIt(
        encryption: StageDefinition.Encryption
    ) async throws {
        try await withStageUpload(
            encryption: encryption, extraRule: "      pipe_location: incoming", pipeStagePath: "incoming"
        ) { harness, moto in
            harness.dropCSV("a.csv", firstID: 1, rows: 2, renameIn: true)
            try await harness.waitForLog("LOADED a.csv", timeout: .seconds(30))
            #expect(try await loadedIDs(harness) == [1: 1, 2: 1])
            let keys = try await moto.requestLog().filter { $0.method == "PUT" }.map(\.path)
            #expect(keys.contains { $0.contains("/incoming/landing/") }, "\(keys)")
        }
    }

    @Test func unusualFolderAndFileNamesAreQuotedInThePutAndLoadOnce() async throws {
        try await withStageUpload { harness, _ in
            let names = [
                "dir with space/b.csv", "it's/c.csv", "x/o'neil.csv", "semi;colon/d.csv", "pct%20/e.csv", "ü日本/f.csv",
                "quote\"d.csv", "back\\slash.csv", "back\\slash dir/g.csv", "with space.csv",
            ]
            for (index, name) in names.enumerated() {
                harness.dropCSV(name, firstID: index * 10, rows: 2, renameIn: true)
            }
            try await DaemonHarness.waitUntil("every file is LOADED", timeout: .seconds(90)) {
                try await states(harness)["LOADED"] == names.count
            }
            let ids = try await loadedIDs(harness)
            #expect(ids.count == names.count * 2 && ids.values.allSatisfy { $0 == 1 }, "\(ids)")
            #expect(harness.log.contains("001003") == false, "no PUT was refused as invalid SQL")
        }
    }

    /// A pipe that copies from its table's stage (`COPY INTO T FROM @%T`): the rule names `DB.S.%T`, the PUT goes
    /// to the table stage's location, and the files load.
    @Test func aRuleUploadingToATableStageLoadsItsFiles() async throws {
        try await withStageUpload(tableStage: true) { harness, moto in
            harness.dropCSV("a.csv", firstID: 1, rows: 3, renameIn: true)
            do {
                try await harness.waitForLog("LOADED a.csv", timeout: .seconds(30))
            } catch {
                Issue.record("\(error)\n\(harness.log.suffix(3000))")
                throw error
            }
            #expect(try await loadedIDs(harness) == [1: 1, 2: 1, 3: 1])
            let puts = try await moto.requestLog().filter { $0.method == "PUT" }
            #expect(
                puts.count == 1 && puts[0].path.hasPrefix("/\(moto.bucket)/stages/db.s.%t/landing/"),
                "\(puts.map(\.path))")
        }
    }
}

@Suite("Upload rules under faults: credentials, sessions, storms, lost and colliding objects", .serialized)
struct StageUploadFaultTests {
    func session(_ harness: DaemonHarness, _ path: String) async {
        _ = await harness.fixture.emulator.handle(EmulatorRequest(method: "POST", path: path))
    }

    @Test func expiredCredentialsOnPutAndHeadAndASlowDownStormAreRetriedUntilLoaded() async throws {
        try await withStageUpload { harness, moto in
            try await moto.setFaults(
                script: [
                    ("HEAD", "expired"), ("PUT", "expired"), ("PUT", "slowdown"), ("PUT", "slowdown"),
                    ("PUT", "slowdown"), ("HEAD", "error"),
                ])
            harness.dropCSV("a.csv", firstID: 1, rows: 2, renameIn: true)
            try await harness.waitForLog("LOADED a.csv", timeout: .seconds(60))
            #expect(try await loadedIDs(harness) == [1: 1, 2: 1])
            let faults = try await moto.requestLog().compactMap(\.fault)
            #expect(faults.count == 6, "every scripted fault was met: \(faults)")
        }
    }

    @Test func aPutAcknowledgedButNotStoredIsCaughtByTheHeadAndUploadedAgain() async throws {
        try await withStageUpload { harness, moto in
            try await moto.setFaults(script: [("PUT", "drop_put"), ("HEAD", "hide_head")])
            harness.dropCSV("lost.csv", firstID: 5, rows: 1, renameIn: true)
            try await harness.waitForLog("LOADED lost.csv", timeout: .seconds(60))
            let log = try await moto.requestLog()
            let puts = log.filter { $0.method == "PUT" }
            #expect(puts.count == 2, "the dropped PUT was repeated: \(log.map { "\($0.method) \($0.fault ?? "")" })")
            // insertFiles was never called before a HEAD proved the object: the load succeeded on the first try.
            #expect(harness.log.contains("LOAD_FAILED") == false)
            #expect(try await loadedIDs(harness) == [5: 1])
        }
    }

    @Test func anExpiredSessionRenewsAndAnExpiredMasterLogsInAgain() async throws {
        try await withStageUpload { harness, _ in
            harness.dropCSV("one.csv", firstID: 1, rows: 1, renameIn: true)
            try await harness.waitForLog("LOADED one.csv")
            await session(harness, "/admin/sessions/expire-tokens")
            harness.dropCSV("sub/two.csv", firstID: 2, rows: 1, renameIn: true)
            try await harness.waitForLog("LOADED two.csv")
            await session(harness, "/admin/sessions/expire-masters")
            harness.dropCSV("sub2/three.csv", firstID: 3, rows: 1, renameIn: true)
            try await harness.waitForLog("LOADED three.csv")
            let answer = await harness.fixture.emulator.handle(EmulatorRequest(method: "GET", path: "/admin/sessions"))
            let counts = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Int]
            #expect(counts?["renewals"] == 1, "\(answer.text)")
            #expect(counts?["logins"] == 2, "\(answer.text)")
            #expect(try await loadedIDs(harness) == [1: 1, 2: 1, 3: 1])
        }
    }

    @Test func anObjectWithAnotherDigestUnderTheFilesNameRejectsTheFileAndIsNeverSubmitted() async throws {
        let collide: @Sendable (DaemonHarness, MotoS3) async throws -> Void = { harness, moto in
            let path = harness.dropCSV("clash.csv", firstID: 1, rows: 1)
            var info = stat()
            lstat(path, &info)
            let stagePath = StageObjectName.path(
                stagePath: "landing", relative: "clash.csv", size: Int64(info.st_size),
                mtimeNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
            let transport = try AsyncHTTPTransport()
            let s3 = S3Client(
                endpoint: S3Endpoint(scheme: "http", host: "127.0.0.1", port: moto.port, pathStyle: true),
                region: moto.region, transport: transport)
            try await s3.put(
                bucket: moto.bucket, key: "stages/db.s.up_stage/" + stagePath, body: Array("other".utf8),
                metadata: ["sfc-digest": "b3RoZXI="],
                credentials: AWSCredentials(
                    accessKeyID: moto.admin.accessKeyID, secretAccessKey: moto.admin.secretAccessKey))
            try await transport.shutdown()
        }
        try await withStageUpload(prepare: collide) { harness, _ in
            try await harness.waitForLog("REJECTED clash.csv")
            #expect(harness.log.contains("another digest"), "\(harness.log.suffix(800))")
            #expect(harness.log.contains("never overwrites it"))
            #expect(try await states(harness)["REJECTED"] == 1)
            #expect(harness.log.contains("insertFiles") == false, "nothing was submitted")
            #expect(try await loadedIDs(harness).isEmpty)
        }
    }

    /// 20 SIGKILLs at random moments while files upload, S3 failing 15 % of object requests (expired credentials,
    /// SlowDown, 500, PUTs not stored, HEADs not yet visible): afterwards every file is LOADED once, every row is
    /// in the table once, and the stage holds exactly one object per file (nothing uploaded under two names).
    @Test func killedTwentyTimesWhileUploadingUnderFaultsEveryFileLoadsOnce() async throws {
        try await withStageUpload(start: false) { harness, moto in
            try await moto.setFaults(
                probability: 0.15, kinds: ["expired", "slowdown", "error", "drop_put", "hide_head"], seed: 7)
            var nextID = 0
            var files = 0
            var generator = SystemRandomNumberGenerator()
            for round in 0..<20 {
                try harness.start()
                for index in 0..<4 {
                    let rows = [1, 3, 50, 400][index]
                    harness.dropCSV("r\(round)/f\(index).csv", firstID: nextID, rows: rows, renameIn: true)
                    nextID += rows
                    files += 1
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 100...700, using: &generator)))
                await harness.stop(signal: SIGKILL)
            }
            try await moto.setFaults()
            try await harness.startAndWaitUntilReady()
            let expected = files
            do {
                try await DaemonHarness.waitUntil("every file is LOADED", timeout: .seconds(120)) {
                    try await states(harness)["LOADED"] == expected
                }
            } catch {
                Issue.record("states \(try await states(harness)); log tail:\n\(harness.log.suffix(4000))")
                throw error
            }
            let counts = try await loadedIDs(harness)
            #expect(counts.count == nextID, "every row is in the table")
            #expect(counts.filter { $0.value > 1 }.isEmpty, "no row loaded twice")
            let transport = try AsyncHTTPTransport()
            let keys = try await S3Client(
                endpoint: S3Endpoint(scheme: "http", host: "127.0.0.1", port: moto.port, pathStyle: true),
                region: moto.region, transport: transport
            ).list(
                bucket: moto.bucket, prefix: "stages/db.s.up_stage/",
                credentials: AWSCredentials(
                    accessKeyID: moto.admin.accessKeyID, secretAccessKey: moto.admin.secretAccessKey))
            try await transport.shutdown()
            #expect(keys.count == expected, "one object per file: \(keys.count) objects for \(expected) files")
            let faults = try await moto.requestLog().compactMap(\.fault)
            #expect(faults.count > 10, "faults were injected: \(faults.count)")
            #expect(await harness.stop() == 0)
        }
    }

    @Test func checkProvesLoginPutUploadAndHeadWithAProbeAndDeletesIt() async throws {
        try await withStageUpload(start: false) { harness, moto in
            let result = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["check", "--config", harness.configPath])
            #expect(result.status == 0, "\(result.output)")
            #expect(
                result.output.contains("stage DB.S.UP_STAGE: OK (session login, PUT: client-side encrypted S3 stage"))
            #expect(result.output.contains("verified and deleted"), "\(result.output)")
            let log = try await moto.requestLog()
            #expect(log.map(\.method) == ["HEAD", "PUT", "HEAD", "DELETE"], "\(log.map(\.method))")
        }
    }

    /// Credentials without s3:ListBucket get a 403 for a HEAD of a missing object: check names the permission.
    @Test func checkNamesListBucketWhenAHeadOfAMissingObjectIsForbidden() async throws {
        try await withStageUpload(start: false) { harness, moto in
            try await moto.setFaults(script: [("HEAD", "forbidden")])
            let result = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["check", "--config", harness.configPath])
            #expect(result.status != 0)
            #expect(result.output.contains("HEAD of a missing object was refused"), "\(result.output)")
            #expect(result.output.contains("s3:ListBucket on the bucket"), "\(result.output)")
            #expect(try await moto.requestLog().map(\.method) == ["HEAD"], "nothing uploaded")
        }
    }

    /// A file above the PUT answer's multipart threshold goes up in 8 MiB parts (slices of one encryption pass);
    /// a failed part aborts the upload, and the retry completes it: one object, every row once.
    @Test func aFileAboveTheMultipartThresholdIsUploadedInPartsAndAFailedPartIsAborted() async throws {
        try await withStageUpload(putThresholdBytes: 1_000_000) { harness, moto in
            try await moto.setFaults(script: [("PUT", "error")])
            var generator = SystemRandomNumberGenerator()
            var text = "ID,NAME,AMOUNT\n"
            for id in 0..<90_000 {
                let name = (0..<25).map { _ in
                    String(format: "%08x", UInt32.random(in: 0...UInt32.max, using: &generator))
                }
                text += "\(id),\(name.joined()),1.5\n"
            }
            dropFile(harness, "big.csv", Array(text.utf8))
            try await harness.waitForLog("LOADED big.csv", timeout: .seconds(120))
            let log = try await moto.requestLog()
            let parts = log.filter { $0.method == "PUT" && $0.query.contains("partNumber") && $0.fault == nil }
            #expect(parts.count >= 2, "\(log.map { "\($0.method) \($0.query.prefix(30))" })")
            #expect(
                log.contains { $0.method == "DELETE" && $0.query.contains("uploadId") }, "the failed upload was aborted"
            )
            #expect(log.filter { $0.method == "POST" && $0.query.contains("uploadId") }.count == 1, "one completion")
            let ids = try await loadedIDs(harness)
            #expect(ids.count == 90_000 && ids.values.allSatisfy { $0 == 1 })
        }
    }

    /// While S3 keeps failing, `snowpiped status` says so with S3's code; once uploads work it stops saying it.
    @Test func statusShowsAFailingStageWithS3sCodeUntilUploadsWorkAgain() async throws {
        try await withStageUpload { harness, moto in
            try await moto.setFaults(probability: 1, kinds: ["slowdown"])
            harness.dropCSV("slow.csv", firstID: 1, rows: 1, renameIn: true)
            func status() async throws -> String {
                try await ChildProcess.run(
                    ChildProcess.product("snowpiped"), ["status", "--config", harness.configPath]
                ).output
            }
            try await DaemonHarness.waitUntil("status names the failing stage") {
                try await status().contains("uploads to the stage failing")
            }
            let failing = try await status()
            #expect(failing.contains("SlowDown"), "\(failing)")
            #expect(failing.contains("HTTP 503"), "\(failing)")
            try await moto.setFaults()
            try await harness.waitForLog("LOADED slow.csv", timeout: .seconds(90))
            #expect(try await status().contains("uploads to the stage failing") == false)
        }
    }

    /// A file found for an upload rule whose directory is no longer watched after a configuration change ends
    /// REJECTED with the reason (it would otherwise come back every round, uploaded never).
    @Test func aFileWhoseRuleIsGoneAfterARestartIsRejectedWithTheReason() async throws {
        try await withStageUpload { harness, moto in
            try await moto.setFaults(probability: 1, kinds: ["slowdown"])
            harness.dropCSV("orphan.csv", firstID: 1, rows: 1, renameIn: true)
            try await harness.waitForLog("upload to the stage failed")
            #expect(await harness.stop() == 0)
            let elsewhere = harness.drop + "/elsewhere"
            try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
            let config = try String(contentsOfFile: harness.configPath, encoding: .utf8)
            try config.replacingOccurrences(of: "- directory: \(harness.drop)\n", with: "- directory: \(elsewhere)\n")
                .write(toFile: harness.configPath, atomically: true, encoding: .utf8)
            try await moto.setFaults()
            try await harness.startAndWaitUntilReady()
            try await harness.waitForLog("REJECTED orphan.csv")
            #expect(harness.log.contains("no upload rule of its pipe watches its directory any more"))
            #expect(try await loadedIDs(harness).isEmpty)
        }
    }
}
