import Foundation

/// Test hook for the watchdog tests ("a stuck daemon"): only when the environment has
/// `SNOWPIPED_TEST_HOOKS=1`, a file `<state_directory>/.test-stall` makes the batcher stop making progress
/// forever, as a hung daemon would. Without that variable (production) the file means nothing.
enum StallHook {
    static let enabled = ProcessInfo.processInfo.environment["SNOWPIPED_TEST_HOOKS"] == "1"

    static func stallIfRequested(stateDirectory: String) {
        guard enabled, FileManager.default.fileExists(atPath: stateDirectory + "/.test-stall") else { return }
        while true { sleep(3600) }
    }
}
