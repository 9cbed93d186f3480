import ArgumentParser
import Foundation
import Glibc

/// How `snowpiped` reports the error that ends it. Under systemd, stderr goes to the journal at `info` unless a
/// line starts with a syslog priority prefix; the failure that stops the service must be found by
/// `journalctl -u snowpiped -p err`, so each line gets `<3>` (err) when stderr is the journal stream
/// (`JOURNAL_STREAM` names stderr's device and inode, as systemd documents).
enum ErrorReporting {
    /// True when stderr is connected to the journal.
    static var stderrIsJournal: Bool {
        guard let stream = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        let parts = stream.split(separator: ":")
        var info = stat()
        guard parts.count == 2, fstat(STDERR_FILENO, &info) == 0 else { return false }
        return UInt64(parts[0]) == UInt64(info.st_dev) && UInt64(parts[1]) == UInt64(info.st_ino)
    }

    /// `message` as it should be written to stderr: each line prefixed `<3>` for the journal.
    static func forStderr(_ message: String, journal: Bool) -> String {
        guard journal else { return message }
        return message.split(separator: "\n", omittingEmptySubsequences: false).map { "<3>" + $0 }
            .joined(separator: "\n")
    }
}

extension Snowpiped {
    /// Runs the command; an error that ends it is written at priority err when stderr is the journal, and a
    /// `CheckFailure` exits with its own status (78 for a configuration that restarting cannot fix).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            // A CheckFailure carries its own status and message; anything else is ArgumentParser's to format, and
            // printed by it unless the err prefix is needed.
            let failure = error as? CheckFailure
            let status = failure?.status ?? exitCode(for: error).rawValue
            let journal = ErrorReporting.stderrIsJournal
            guard failure != nil || (journal && status != 0) else { exit(withError: error) }
            let message = failure.map { "Error: \($0.description)" } ?? fullMessage(for: error)
            FileHandle.standardError.write(Data((ErrorReporting.forStderr(message, journal: journal) + "\n").utf8))
            Glibc.exit(status)
        }
    }
}
