import IngestCore
import Testing

@Suite("Stage object names and upload verdicts")
struct StageUploadDecisionTests {
    @Test(arguments: [
        ("", "orders.csv", "5f-a/orders.csv.gz"),
        ("in/coming/", "2026/12/orders.csv", "in/coming/2026/12/5f-a/orders.csv.gz"),
        ("x", "events.json.gz", "x/5f-a/events.json.gz"),
        ("", "table.parquet", "5f-a/table.parquet"),
        ("", "README", "5f-a/README.gz"),
        ("", "dump.ZST", "5f-a/dump.ZST"),
    ])
    func aVersionDirectoryAndGzSuffix(stagePath: String, relative: String, expected: String) {
        #expect(
            StageObjectName.path(stagePath: stagePath, relative: relative, size: 10, mtimeNanoseconds: 95) == expected)
    }

    @Test func twoVersionsOfAPathGetTwoNames() {
        let first = StageObjectName.path(stagePath: "", relative: "a.csv", size: 10, mtimeNanoseconds: 1)
        #expect(first != StageObjectName.path(stagePath: "", relative: "a.csv", size: 10, mtimeNanoseconds: 2))
        #expect(first != StageObjectName.path(stagePath: "", relative: "a.csv", size: 11, mtimeNanoseconds: 1))
        #expect(StageObjectName.split("a/b/c.gz") == ("a/b", "c.gz"))
        #expect(StageObjectName.split("c.gz") == ("", "c.gz"))
    }

    typealias Observed = UploadVerdict.Observed

    @Test(
        arguments: [
            (nil, false, UploadVerdict.upload),
            (Observed(size: 3, digest: "d", encryptionMetadata: false), false, .alreadyStaged),
            (Observed(size: 3, digest: "d", encryptionMetadata: true), true, .alreadyStaged),
        ] as [(Observed?, Bool, UploadVerdict)])
    func beforeUpload(observed: Observed?, encrypted: Bool, expected: UploadVerdict) {
        #expect(UploadVerdict.beforeUpload(observed: observed, digest: "d", encrypted: encrypted) == expected)
    }

    @Test func anObjectWithAnotherDigestIsACollisionNeverReused() {
        let verdict = UploadVerdict.beforeUpload(
            observed: Observed(size: 3, digest: "other", encryptionMetadata: true), digest: "d", encrypted: true)
        guard case .collision(let message) = verdict else {
            Issue.record("expected a collision, got \(verdict)")
            return
        }
        #expect(message.contains("other") && message.contains("d"))
        let plain = UploadVerdict.beforeUpload(
            observed: Observed(size: 3, digest: "d", encryptionMetadata: false), digest: "d", encrypted: true)
        #expect(plain != .alreadyStaged)
    }

    @Test func afterUploadEverythingMustMatch() {
        func verdict(_ observed: Observed?) -> UploadVerdict {
            UploadVerdict.afterUpload(observed: observed, size: 32, digest: "d", encrypted: true)
        }
        #expect(verdict(Observed(size: 32, digest: "d", encryptionMetadata: true)) == .alreadyStaged)
        for bad in [
            nil, Observed(size: 31, digest: "d", encryptionMetadata: true),
            Observed(size: 32, digest: "x", encryptionMetadata: true),
            Observed(size: 32, digest: "d", encryptionMetadata: false),
        ] {
            guard case .notVerified = verdict(bad) else {
                Issue.record("\(String(describing: bad)) passed verification")
                continue
            }
        }
    }
}

@Suite("Versioned stage paths are recognised")
struct StageObjectNameVersionTests {
    @Test func onlyPathsWithAVersionDirectoryAreVersioned() {
        #expect(
            StageObjectName.isVersioned(
                StageObjectName.path(stagePath: "x", relative: "a.csv", size: 1, mtimeNanoseconds: 2)))
        #expect(StageObjectName.isVersioned("orders.csv") == false)
        #expect(StageObjectName.isVersioned("2026/12/orders.csv") == false)
        #expect(StageObjectName.isVersioned("cafe-babe/orders.csv"))
    }
}

@Suite("The numbers of a stage upload")
struct StageLimitsTests {
    static let cases: [(Int64, Int)] = [
        (1, 8 << 20),
        (80 << 30, 9 << 20),  // 80 GiB in at most 10,000 parts: 8.2 MiB, rounded up to whole MiB
        (Int64(10_000) * Int64(8 << 20), 8 << 20),
        (Int64(10_000) * Int64(8 << 20) + 1, 9 << 20),
    ]

    @Test(arguments: cases)
    func partsAreEightMiBOrWholeMiBWithinTenThousandParts(size: Int64, part: Int) {
        #expect(StageLimits.partBytes(for: size) == part)
        #expect((size + Int64(part) - 1) / Int64(part) <= Int64(StageLimits.maximumParts))
    }
}
