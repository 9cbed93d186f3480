import Foundation
import TestSupport
import Testing

/// Mutated configuration files (bytes flipped, cut short, lines duplicated or shuffled, YAML special values
/// spliced in) never crash `snowpiped check`: each ends with status 0 or 1 and a message, never a signal.
@Suite("Fuzzed configuration files never crash the process")
struct ConfigurationFuzzTests {
    let directory = TemporaryDirectory("config-fuzz")

    var valid: String {
        """
        snowflake:
          account: myorg-myacct
          user: ingest_user
          private_key_file: \(directory.path)/key.p8
          host: 127.0.0.1
          port: 443
        state_directory: \(directory.path)/state
        watch:
          - directory: \(directory.path)/drop
            pipe: DB.S.P
            exclude: ["*.tmp"]
            settle_seconds: 5
            after_load: move
            after_load_directory: \(directory.path)/done
        batching: {max_files: 5000, linger_ms: 200}
        reporter: {poll_seconds: 10, deadline_minutes: 60}
        """
    }

    func mutate(_ text: String, seed: UInt64) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        var bytes = Array(text.utf8)
        let splices = [
            "~", "null", "[", "{", "&a", "*a", "!!binary", "- ", ": ", "\"", "'", "\t", "\u{0}",
            "9999999999999999999999",
            "-1", "1e999", ".nan", "yes", "\u{FEFF}", "<<: *a", "? ", "|", ">", "%YAML 1.1", "---", "...",
        ]
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            switch Int.random(in: 0..<5, using: &random) {
            case 0 where bytes.isEmpty == false:
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            case 1 where bytes.isEmpty == false:
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            case 2:
                let splice = Array(splices.randomElement(using: &random)!.utf8)
                bytes.insert(contentsOf: splice, at: Int.random(in: 0...bytes.count, using: &random))
            case 3:
                var lines = String(decoding: bytes, as: UTF8.self).split(
                    separator: "\n", omittingEmptySubsequences: false)
                if lines.isEmpty == false {
                    lines.insert(
                        lines.randomElement(using: &random)!, at: Int.random(in: 0...lines.count, using: &random))
                }
                bytes = Array(lines.joined(separator: "\n").utf8)
            default:
                var lines = String(decoding: bytes, as: UTF8.self).split(
                    separator: "\n", omittingEmptySubsequences: false)
                lines.shuffle(using: &random)
                bytes = Array(lines.joined(separator: "\n").utf8)
            }
        }
        return bytes
    }

    @Test func twoHundredMutationsEachEndWithAMessageAndStatusZeroOrConfig() async throws {
        let path = directory.path + "/snowpiped.yaml"
        for seed in UInt64(1)...200 {
            let bytes = mutate(valid, seed: seed)
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            let result = try await ChildProcess.run(
                ChildProcess.product("snowpiped"), ["check", "--offline", "--config", path])
            #expect(
                result.status == 0 || result.status == 78, "seed \(seed): status \(result.status)\n\(result.output)")
            #expect(result.output.isEmpty == false, "seed \(seed): no message")
            if result.status == 78 {
                #expect(
                    result.output.contains("snowpiped.yaml") || result.output.contains("private key"), "seed \(seed)")
            }
        }
    }
}
