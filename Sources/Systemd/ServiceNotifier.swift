import CSystemd
import Foundation

/// Where the daemon's messages to its service manager go: `ServiceNotifier` (sd_notify), or a recorder in the tests
/// that run the systemd service on a manual clock.
public protocol ServiceNotifying: Sendable {
    /// True when a service manager listens.
    var isActive: Bool { get }
    /// The watchdog interval the manager expects, nil when disabled.
    var watchdogInterval: Duration? { get }
    /// Sends raw `KEY=value` lines; returns sd_notify's result (> 0 sent, 0 no socket, < 0 error).
    @discardableResult func send(_ assignments: [String]) -> Int32
}

/// `sd_notify` to the service manager: READY, STATUS, WATCHDOG, STOPPING. A no-op when not started by
/// systemd (no `NOTIFY_SOCKET`), so the same binary runs from a terminal.
public struct ServiceNotifier: ServiceNotifying {
    public init() {}

    /// True when a service manager listens (`NOTIFY_SOCKET` is set).
    public var isActive: Bool { ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] != nil }

    @discardableResult
    public func send(_ assignments: [String]) -> Int32 {
        let text = assignments.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n")
        return sd_notify(0, text)
    }

    /// The watchdog interval the manager expects (`WATCHDOG_USEC` for this process), nil when disabled.
    public var watchdogInterval: Duration? {
        var microseconds: UInt64 = 0
        guard sd_watchdog_enabled(0, &microseconds) > 0, microseconds > 0 else { return nil }
        return .microseconds(Int64(microseconds))
    }
}

extension ServiceNotifying {

    /// Startup finished: `READY=1` with a first status line.
    public func ready(status: String) { send(["READY=1", "STATUS=\(status)"]) }

    /// The one-line summary `systemctl status` shows.
    public func status(_ line: String) { send(["STATUS=\(line)"]) }

    /// Keep-alive for `WatchdogSec=`.
    public func watchdog() { send(["WATCHDOG=1"]) }

    /// A configuration reload has begun: said in STATUS only (`RELOADING=1` belongs to `Type=notify-reload`, systemd
    /// 253; with `ExecReload=` the manager tracks the reload by that command).
    public func reloading() { send(["STATUS=reloading the configuration"]) }

    /// Shutdown has begun.
    public func stopping(status: String) { send(["STOPPING=1", "STATUS=\(status)"]) }
}
