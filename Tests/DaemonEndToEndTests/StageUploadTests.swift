import Foundation
import SnowpipeEmulator
import TestSupport
import Testing

/// Runs `body` with moto (signatures checked) and the real daemon uploading `harness.drop` to the internal
/// stage `DB.S.UP_STAGE` (encrypted or SSE) of the emulator, whose pipe `DB.S.UP_PIPE` copies from it into
/// `DB.S.T`. `extraRule` adds keys to the watch rule.
func withStageUpload(
    encryption: StageDefinition.Encryption = .full, extraRule: String = "",
    prepare: @escaping @Sendable (DaemonHarness) async throws -> Void = { _ in },
    _ body: @Sendable (DaemonHarness, MotoS3) async throws -> Void
) async throws {
    try await MotoS3.withServer { moto in
        let setup = DaemonHarness.Setup(
            adjust: { configuration in
                configuration.stageStorage = StageStorageSettings(
                    endpoint: moto.endpoint, region: moto.region, bucket: moto.bucket,
                    accessKeyID: moto.admin.accessKeyID, secretAccessKey: moto.admin.secretAccessKey,
                    roleARN: moto.roleARN)
                configuration.stages = [StageDefinition(name: "DB.S.UP_STAGE", encryption: encryption)]
                configuration.pipes.append(
                    PipeDefinition(
                        name: "DB.S.UP_PIPE", stageDirectory: "", table: "DB.S.T",
                        columns: [
                            .init(name: "ID", type: .number), .init(name: "NAME", type: .varchar),
                            .init(name: "AMOUNT", type: .float),
                        ],
                        format: .init(type: .csv, skipHeader: 1), stage: "DB.S.UP_STAGE"))
                configuration.users[0].pipes.append("DB.S.UP_PIPE")
                configuration.loadDelaySeconds = 0.2
            }, prepare: prepare)
        let rule = """
                stage:
                  kind: internal
                  name: DB.S.UP_STAGE
                  path: landing
                  endpoint: \(moto.endpoint)
            \(extraRule)
            """
        try await DaemonHarness.withDaemon(setup, pipe: "DB.S.UP_PIPE", watchExtra: rule) { harness in
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
    @Test(arguments: [StageDefinition.Encryption.full, .sse])
    func filesDroppedInAPlainFolderEndLoadedWithTheirRows(encryption: StageDefinition.Encryption) async throws {
        try await withStageUpload(encryption: encryption) { harness, _ in
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
        }
    }
}
