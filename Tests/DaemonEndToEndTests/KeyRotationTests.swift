import Foundation
import IngestCore
import Outbox
import SnowflakeAuth
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("A key rotation through Snowflake's two key slots needs no restart and loses no file", .serialized)
struct KeyRotationTests {
    @Test func theDaemonSwitchesToTheNextKeyWhenTheOldOneIsUnset() async throws {
        try await DaemonHarness.withDaemon(start: false) { harness in
            // The configuration names the current key and the next one (`keygen --rotate`, step 2).
            let nextPath = harness.root.path + "/key.next.p8"
            try TestKeys.secondary.pkcs8PEM().write(toFile: nextPath, atomically: true, encoding: .utf8)
            chmod(nextPath, 0o600)
            let text = try String(contentsOfFile: harness.configPath, encoding: .utf8)
            try text.replacingOccurrences(
                of: "  private_key_file: \(harness.root.path)/key.p8\n",
                with: "  private_key_file: \(harness.root.path)/key.p8\n  next_private_key_file: \(nextPath)\n"
            ).write(toFile: harness.configPath, atomically: true, encoding: .utf8)
            try await harness.startAndWaitUntilReady()
            harness.dropCSV("before.csv", firstID: 1, rows: 1, renameIn: true)
            try await DaemonHarness.waitUntil("before.csv is LOADED") { try await states(harness)["LOADED"] == 1 }
            let check = {
                try await ChildProcess.run(
                    ChildProcess.product("snowpiped"), ["check", "--config", harness.configPath])
            }
            let before = try await check()
            #expect(
                before.stdout.contains("key next_private_key_file \(TestKeys.secondary.fingerprint): refused"),
                "\(before.output)")
            #expect(before.stdout.contains("key private_key_file \(TestKeys.primary.fingerprint): accepted"))
            // Step 1: ALTER USER … SET RSA_PUBLIC_KEY_2.
            try await harness.fixture.emulator.setPublicKeys(
                user: EmulatorFixture.user, keys: [TestKeys.primary.publicKey.pem, TestKeys.secondary.publicKey.pem])
            let both = try await check()
            #expect(
                both.stdout.contains("key next_private_key_file \(TestKeys.secondary.fingerprint): accepted"),
                "\(both.output)")
            // Step 3: ALTER USER … UNSET RSA_PUBLIC_KEY, while files flow.
            try await harness.fixture.emulator.setPublicKeys(
                user: EmulatorFixture.user, keys: [TestKeys.secondary.publicKey.pem])
            for index in 0..<5 { harness.dropCSV("after\(index).csv", firstID: 10 + index, rows: 1, renameIn: true) }
            try await DaemonHarness.waitUntil("the files after the rotation are LOADED") {
                try await states(harness)["LOADED"] == 6
            }
            #expect(harness.log.contains("signing with key \(TestKeys.secondary.fingerprint) from now on"))
            #expect(harness.log.contains("refuses this daemon's key pair") == false, "no pause, no error")
            let received = await harness.fixture.emulator.receivedPaths(pipe: "DB.S.CSV_PIPE")
            #expect(received.count == 6 && received.values.allSatisfy { $0 == 1 })
            #expect(await harness.stop() == 0)
        }
    }
}
