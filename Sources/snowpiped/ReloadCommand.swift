import ArgumentParser
import Foundation
import Glibc
import SnowpipeDaemon

/// `snowpiped reload`: checks the configuration, then asks the running daemon to apply it (SIGHUP). The unit's
/// `ExecReload=`, so `systemctl reload snowpiped` fails, with every problem, when the configuration is invalid.
struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Check the configuration, then make the running daemon apply it (SIGHUP).",
        discussion: """
            The daemon drains its services and starts them again on the new configuration, in the same process, \
            with the same outbox: nothing in flight is lost. It checks the configuration again itself (a SIGHUP \
            sent by other means with an invalid one is refused and logged at err, and the running configuration \
            goes on). state_directory cannot change without a restart.
            """
    )

    @Option(name: .shortAndLong, help: "Configuration file.")
    var config: String = "/etc/snowpiped/snowpiped.yaml"

    @Option(
        name: .long, help: "The daemon's PID (systemd's $MAINPID); default: the holder of the state directory's lock.")
    var pid: Int32?

    func run() async throws {
        let settings = try Snowpiped.loadConfiguration(config)
        guard let target = pid ?? StateDirectoryLock.runningDaemon(stateDirectory: settings.stateDirectory), target > 0
        else {
            throw CheckFailure("no snowpiped runs on the state directory \(settings.stateDirectory): nothing to reload")
        }
        guard kill(target, SIGHUP) == 0 else {
            throw CheckFailure("cannot signal PID \(target): \(String(cString: strerror(errno)))")
        }
        print("configuration \(config) OK; PID \(target) reloads it (its journal says when it is applied)")
    }
}
