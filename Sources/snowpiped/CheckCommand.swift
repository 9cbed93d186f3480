import ArgumentParser
import Foundation
import IngestCore
import SnowflakeAuth
import SnowpipeAPI
import SnowpipeDaemon

/// `snowpiped check`: validates the configuration, loads the key, shows what the JWT will carry, and (unless
/// `--offline`) proves authentication and pipe rights with one insertReport per pipe, and for stream-mode rules the
/// ingest host, a scoped token and the channel's status.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration and key; then call insertReport on each pipe to prove access.",
        discussion:
            "With --offline it stops before the network. Exits 78 when the configuration or key is wrong, 1 when a pipe "
            + "fails."
    )

    @Option(name: .shortAndLong, help: "Configuration file.")
    var config: String = "/etc/snowpiped/snowpiped.yaml"

    @Flag(name: .long, help: "Stop before contacting Snowflake.")
    var offline = false

    @Flag(name: .long, help: "Print one line when everything is right (for scripts).")
    var quiet = false

    /// Prints a line unless `--quiet`.
    func say(_ line: String) {
        if quiet == false { print(line) }
    }

    func run() async throws {
        let settings = try Snowpiped.loadConfiguration(config)
        say(
            "configuration \(config): OK (\(settings.watches.count) watch rule(s), pipes: \(settings.pipes.joined(separator: ", ")))"
        )
        let connection: SnowflakeConnection
        do {
            // A short connect timeout: check answers quickly when the host is unreachable.
            connection = try SnowflakeConnection(settings: settings.snowflake, connectTimeout: .seconds(3))
        } catch {
            throw CheckFailure("private key: \(error)", status: CheckFailure.configurationStatus)
        }
        say("private key \(settings.snowflake.privateKeyFile): RSA \(connection.key.bits) bits, OK")
        let access =
            [ServiceUserAccess.keyProblem(path: settings.snowflake.privateKeyFile)].compactMap { $0 }
            + ServiceUserAccess.directoryProblems(settings)
        if access.isEmpty == false {
            await connection.shutdown()
            throw CheckFailure(access.joined(separator: "\n"), status: CheckFailure.configurationStatus)
        }
        say("public key fingerprint: \(connection.key.fingerprint)")
        say("JWT sub: \(connection.subject)")
        say("JWT iss: \(connection.subject).\(connection.key.fingerprint)")
        for rule in settings.watches where FileManager.default.fileExists(atPath: rule.directory) == false {
            say("warning: watched directory \(rule.directory) does not exist yet (the daemon waits for it)")
        }
        if offline {
            await connection.shutdown()
            if quiet {
                print(
                    "configuration \(config) and key \(settings.snowflake.privateKeyFile) OK "
                        + "(\(settings.watches.count) watch rule(s), key \(connection.key.fingerprint))")
            }
            return
        }
        print("endpoint: \(connection.endpoint.baseURL)")
        let client = connection.client(
            retrying: .init(policy: RetryPolicy(base: .milliseconds(200), cap: .seconds(2)), maximumAttempts: 2),
            version: Snowpiped.version)
        var failures: [String] = []
        let streaming = connection.streamingClient(version: Snowpiped.version)
        for rule in settings.watches {
            guard let stream = rule.stream else { continue }
            do {
                let (host, _) = try await streaming.exchange(pipe: rule.pipe)
                print("pipe \(rule.pipe): ingest host \(host.host), scoped token OK")
                // The status proves access without disturbing a running daemon; opening a channel would fence
                // its writer off. A channel that does not exist yet is opened (created): nobody can be using it.
                if let status = try await streaming.channelStatus(pipe: rule.pipe, channel: stream.channel) {
                    print(
                        "pipe \(rule.pipe): OK (channel \(stream.channel) \(status.statusCode ?? "?"), committed through "
                            + "\(status.lastCommittedOffsetToken ?? "nothing yet"))")
                } else {
                    _ = try await streaming.openChannel(pipe: rule.pipe, channel: stream.channel)
                    print("pipe \(rule.pipe): OK (channel \(stream.channel) opened)")
                }
            } catch {
                print("pipe \(rule.pipe): FAILED: \(Self.explain(error, pipe: rule.pipe, connection: connection))")
                failures.append(rule.pipe)
            }
        }
        for rule in settings.watches {
            guard let upload = rule.upload else { continue }
            do {
                print(try await StageProbe.run(settings: upload, connection: connection, version: Snowpiped.version))
            } catch {
                print("pipe \(rule.pipe): FAILED: \(error)")
                failures.append(rule.pipe)
            }
        }
        for pipe in settings.filePipes {
            do {
                let report = try await client.insertReport(pipe: pipe, beginMark: nil)
                print("pipe \(pipe): OK (insertReport answered, \(report.files.count) recent event(s))")
            } catch {
                let message = Self.explain(error, pipe: pipe, connection: connection)
                print("pipe \(pipe): FAILED: \(message)")
                failures.append(pipe)
            }
        }
        if let nextKey = connection.nextKey {
            await checkRotation(
                connection: connection,
                keys: [("private_key_file", connection.key), ("next_private_key_file", nextKey)],
                pipe: settings.filePipes.first)
        }
        await connection.shutdown()
        if failures.isEmpty == false {
            throw CheckFailure("\(failures.count) of \(settings.pipes.count) pipe(s) failed the check")
        }
    }

    /// A key rotation in progress: which of the two keys Snowflake accepts now (one insertReport each, on a file
    /// pipe). Snowflake does not say which slot holds a key; `DESC USER` shows both slots' fingerprints.
    func checkRotation(connection: SnowflakeConnection, keys: [(String, PrivateKey)], pipe: String?) async {
        guard let pipe else {
            print("key rotation: not checked (no file-mode rule to ask insertReport with)")
            return
        }
        for (setting, key) in keys {
            let client = connection.client(signingWith: key, version: Snowpiped.version)
            do {
                _ = try await client.insertReport(pipe: pipe, beginMark: nil)
                print(
                    "key \(setting) \(key.fingerprint): accepted (registered in RSA_PUBLIC_KEY or RSA_PUBLIC_KEY_2)")
            } catch let error where error.status == 401 {
                print(
                    "key \(setting) \(key.fingerprint): refused (in neither RSA_PUBLIC_KEY nor RSA_PUBLIC_KEY_2 of "
                        + "\(connection.settings.user))")
            } catch {
                print("key \(setting) \(key.fingerprint): not checked (\(error.description))")
            }
        }
    }

    /// One distinct, actionable message per kind of failure.
    static func explain(_ error: SnowpipeError, pipe: String, connection: SnowflakeConnection) -> String {
        switch error.kind {
        case .http(401):
            if let skew = clockSkew(serverDate: error.serverDate), abs(skew) > 60 {
                return "the JWT was refused and this machine's clock is \(Int(abs(skew))) s "
                    + "\(skew > 0 ? "ahead of" : "behind") Snowflake's: fix the clock (NTP, `timedatectl`)"
            }
            return "the JWT was refused (code \(error.code ?? "?")): wrong key or user. Register this key with "
                + "`ALTER USER \(connection.settings.user) SET RSA_PUBLIC_KEY='<contents of the .pub file>'` and check "
                + "`DESC USER \(connection.settings.user)` shows RSA_PUBLIC_KEY_FP = \(connection.key.fingerprint)"
        case .http(404):
            return "unknown pipe or no rights: pipe names are case-sensitive and fully qualified; the user's default "
                + "role needs `GRANT OPERATE, MONITOR ON PIPE \(pipe)`"
        case .http(403):
            return "the default role of \(connection.settings.user) lacks MONITOR/OPERATE on \(pipe)"
        case .transport(.unresolvableHost(let host)):
            return "host \(host) does not resolve: check `snowflake.account` (e.g. myorg-myacct) or `snowflake.host`"
        case .transport(.connectFailed(let detail)):
            return
                "cannot connect to \(connection.endpoint.baseURL) (\(detail)): is the host reachable, a proxy needed?"
        case .transport(.tls(let detail)):
            return "TLS failed (\(detail)): the server certificate is not trusted; check the system CA store or "
                + "`snowflake.ca_file`"
        case .transport(.timeout):
            return "no answer from \(connection.endpoint.baseURL) in time: check the network"
        default:
            return error.description
        }
    }

    /// Seconds this machine is ahead of the server (negative: behind), from an HTTP `Date` header.
    static func clockSkew(serverDate: String?) -> Double? {
        guard let serverDate else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: serverDate) else { return nil }
        return Date().timeIntervalSince(date)
    }
}

/// A failed check: printed to stderr; exit status 1, or 78 (EX_CONFIG) when the configuration, the key or the
/// set-up is wrong and only an edit fixes it.
struct CheckFailure: Error, CustomStringConvertible {
    /// `EX_CONFIG` from sysexits.h; systemd shows it as `status=78/CONFIG`.
    static let configurationStatus: Int32 = 78

    let description: String
    let status: Int32

    init(_ description: String, status: Int32 = 1) {
        self.description = description
        self.status = status
    }
}
