import Foundation
import IngestCore

/// Everything `snowpiped` is told by its configuration file, validated. Defaults are the `default…` constants;
/// `config/snowpiped.example.yaml` documents each key.
public struct DaemonConfiguration: Sendable {
    /// Default state directory (systemd's `StateDirectory=snowpiped`).
    public static let defaultStateDirectory = "/var/lib/snowpiped"

    public var snowflake: SnowflakeSettings
    public var stateDirectory: String
    public var watches: [WatchRule]
    public var batching: BatchingSettings
    public var reporter: ReporterSettings
    public var scanning: ScanSettings
    public var retention: RetentionSettings
    /// The Prometheus endpoint; nil: off (the default).
    public var metrics: MetricsSettings?

    /// The Snowpipe database file inside the state directory.
    public var databasePath: String { stateDirectory + "/outbox.sqlite" }

    /// Distinct pipes named by the watch rules, in order of first appearance.
    public var pipes: [String] {
        var seen = Set<String>()
        return watches.map(\.pipe).filter { seen.insert($0).inserted }
    }

    /// The pipes fed by upload rules (their files are batched only once staged and verified).
    public var uploadPipes: Set<String> { Set(watches.filter { $0.upload != nil }.map(\.pipe)) }

    /// Distinct pipes of the rules that register files with insertFiles (they get a batcher and a reporter).
    public var filePipes: [String] {
        var seen = Set<String>()
        return watches.filter { $0.stream == nil }.map(\.pipe).filter { seen.insert($0).inserted }
    }
}

/// How to reach and authenticate to Snowflake.
public struct SnowflakeSettings: Sendable {
    /// Account identifier, e.g. `myorg-myacct` or `xy12345.us-east-2.aws`.
    public var account: String
    /// User whose key pair signs the JWT.
    public var user: String
    /// PEM private key (PKCS#8, encrypted PKCS#8 or PKCS#1), mode 0600.
    public var privateKeyFile: String
    /// The new key of a rotation (`RSA_PUBLIC_KEY_2`), same passphrase source: the daemon signs with it when
    /// Snowflake refuses `privateKeyFile`'s (and back), so `ALTER USER … UNSET` needs no restart.
    public var nextPrivateKeyFile: String?
    /// Where the passphrase of an encrypted key comes from.
    public var passphrase: PassphraseSetting
    /// Host override (default `<account>.snowflakecomputing.com`).
    public var host: String?
    /// Port (default 443).
    public var port: Int
    /// `https` (default) or `http` (only with `allowPlainHTTP` and a loopback host).
    public var scheme: String
    /// Allows `scheme: http`, for a local emulator.
    public var allowPlainHTTP: Bool
    /// A PEM CA bundle to trust instead of the system store.
    public var caFile: String?
    /// How long one HTTP request may wait for its answer before it counts as failed (and is retried).
    public var requestTimeoutSeconds: Double = SnowflakeSettings.defaultRequestTimeoutSeconds

    public static let defaultRequestTimeoutSeconds = 60.0

    /// The passphrase source as configured.
    public enum PassphraseSetting: Sendable, Equatable {
        case none
        case credential(String)
        case file(String)
        case environment(String)
    }
}

/// One watched directory and what to do with its files.
public struct WatchRule: Sendable {
    /// Default include globs (everything).
    public static let defaultInclude = ["*"]
    /// Default exclude globs: files still being written, or left behind, by common tools. `.*` covers rsync's
    /// `.name.XXXXXX`, vim's `.name.swp`, emacs' `.#name` and LibreOffice's `.~lock.name#`; then generic temporary
    /// names (`*.tmp`, `*.temp`), downloads in progress (wget/Firefox `*.part`, rclone `*.partial`, Chrome
    /// `*.crdownload`, Safari `*.download`, WinSCP `*.filepart`, gsutil `*.gstmp`), editor swap and backup files
    /// (`*.swp`, `*.swx`, `*~`, emacs `#name#`), Microsoft Office owner files (`~$name`) and Resilio Sync's
    /// `*.!sync`.
    public static let defaultExclude = [
        ".*", "*.tmp", "*.temp", "*.part", "*.partial", "*.crdownload", "*.download", "*.filepart", "*.gstmp",
        "*.swp", "*.swx", "*~", "#*#", "~$*", "*.!sync",
    ]
    /// Default quiet time before a file found by a scan (not by an event) is taken.
    public static let defaultSettleSeconds = 5.0

    public var directory: String
    public var pipe: String
    /// Prepended to the path relative to `directory` to form the path sent to Snowpipe.
    public var stagePrefix: String
    public var include: [String]
    public var exclude: [String]
    public var recursive: Bool
    public var settleSeconds: Double
    public var afterLoad: AfterLoad
    public var afterFailure: AfterFailure
    /// Stream mode: the file's rows are appended to a Snowpipe Streaming channel (nil: the file is registered
    /// with insertFiles, the directory being the stage).
    public var stream: StreamSettings? = nil
    /// Upload rules: the daemon uploads each file to this stage and verifies it before insertFiles (nil: the
    /// directory already is the stage, `stage: {kind: local}`).
    public var upload: UploadSettings? = nil

    /// True when `path` is the watched directory or would be watched under it (for a recursive rule), so files
    /// the daemon writes there (moved files, its own outbox) would be submitted.
    public func covers(_ path: String) -> Bool {
        path == directory || (recursive && path.hasPrefix(directory + "/"))
    }

    /// What happens to a file once Snowflake loaded it.
    public enum AfterLoad: Sendable, Equatable {
        case keep
        case delete
        case move(to: String)
    }

    /// What happens to a file Snowflake did not load (or that was rejected).
    public enum AfterFailure: Sendable, Equatable {
        case keep
        /// Moved to this directory with a `<name>.error.json` sidecar describing the error.
        case quarantine(to: String)
    }
}

/// How files are grouped into insertFiles calls.
public struct BatchingSettings: Sendable {
    public static let defaultMaxFiles = SnowpipeLimits.maximumFilesPerCall
    public static let defaultLingerMilliseconds = 200

    /// At most this many files per call (≤ 5000, Snowpipe's limit).
    public var maxFiles: Int
    /// Wait at most this long for a batch to fill before sending what there is.
    public var lingerMilliseconds: Int
}

/// How load reports are followed.
public struct ReporterSettings: Sendable {
    public static let defaultPollSeconds = 10.0
    public static let defaultDeadlineMinutes = 60.0

    /// insertReport polling interval while files are outstanding.
    public var pollSeconds: Double
    /// A file with no report after this long gets a last loadHistoryScan, then NOT_REPORTED.
    public var deadlineMinutes: Double
    /// Stream mode: the channel status is read this often while appended rows wait for their commit.
    public var streamPollSeconds = defaultStreamPollSeconds
    public static let defaultStreamPollSeconds = 1.0
    /// Stream mode: appended rows whose commit has not moved for this long are reported (journal, `status`).
    public var streamStallMinutes = defaultStreamStallMinutes
    public static let defaultStreamStallMinutes = CommitWatch.defaultStallSeconds / 60
    /// A file still unfinished this long after its discovery is reported once, at warning, with its fields.
    public var warnAfterMinutes = defaultWarnAfterMinutes
    public static let defaultWarnAfterMinutes = 30.0
}

/// The safety-net scans.
public struct ScanSettings: Sendable {
    public static let defaultPeriodicSeconds = 300.0

    /// Full rescan of every watched directory this often (0 = only at startup and on overflow).
    public var periodicSeconds: Double
}

/// Pruning of finished rows.
public struct RetentionSettings: Sendable {
    public static let defaultFinishedDays = 30.0

    /// Finished rows older than this are deleted (the journal keeps the history).
    public var finishedDays: Double
}

/// How a stream-mode rule reads its files and which channel it appends to.
public struct StreamSettings: Sendable, Equatable {
    /// Default input compression.
    public static let defaultCompression = InputCompression.auto

    /// NDJSON, or CSV with a header line.
    public var format: StreamRowReader.Format
    /// Whether files are gzip-compressed.
    public var compression: InputCompression
    /// The channel, stable across restarts and unique to this daemon (the default names the host and directory).
    public var channel: String

    /// Input file compression.
    public enum InputCompression: String, Sendable, Equatable {
        /// gzip when the file starts with gzip's magic number.
        case auto
        case gzip
        case none
    }
}

/// Where an upload rule puts its files (`stage:` of a watch rule, kind `internal` or `s3`).
public struct UploadSettings: Sendable, Equatable {
    /// The named internal stage, `DB.SCHEMA.STAGE` (or a table stage `DB.SCHEMA.%TABLE`); "" for `kind: s3`.
    public var stage: String
    /// `kind: s3`: the external stage's bucket, written to directly with the rule's own credentials.
    public var external: ExternalS3? = nil
    /// The sub-path inside the pipe's location where objects go ("" for that location's root).
    public var path: String
    /// The path after the stage in the pipe's `COPY INTO … FROM @stage/<pipe location>` ("" when it copies from
    /// the stage root). Objects are uploaded under it, and the paths sent to insertFiles are relative to it, as
    /// Snowpipe resolves them (`snowpipe-rest-api.txt`, insertFiles: "path … relative to the stage location").
    public var pipeLocation: String = ""
    /// An S3 endpoint to use instead of AWS's (path-style; plain http only on loopback): an S3-compatible
    /// server or the test harness's.
    public var endpoint: String?
    /// Uploads in flight per rule.
    public var concurrency: Int

    public init(
        stage: String, path: String = "", endpoint: String? = nil, concurrency: Int = 4, external: ExternalS3? = nil,
        pipeLocation: String = ""
    ) {
        self.pipeLocation = pipeLocation
        self.stage = stage
        self.external = external
        self.path = path
        self.endpoint = endpoint
        self.concurrency = concurrency
    }
}

/// An external S3 stage (`CREATE STAGE … URL = 's3://bucket/prefix/'`) the daemon writes to with its own
/// credentials: the same upload and verification, without the Snowflake session.
public struct ExternalS3: Sendable, Equatable {
    public var bucket: String
    /// The stage URL's path in the bucket ("" or ending without `/`): object keys are `prefix/<stage path>`,
    /// and the stage path (what insertFiles names) is relative to it.
    public var prefix: String
    public var region: String
    public var credentials: CredentialSource

    public init(bucket: String, prefix: String = "", region: String, credentials: CredentialSource) {
        self.bucket = bucket
        self.prefix = prefix
        self.region = region
        self.credentials = credentials
    }

    /// Where the AWS key comes from; never the YAML itself. The file and the credential hold
    /// `AWS_ACCESS_KEY_ID=…`, `AWS_SECRET_ACCESS_KEY=…` and optionally `AWS_SESSION_TOKEN=…` lines (the
    /// environment-file format); `environment` reads those three variables.
    public enum CredentialSource: Sendable, Equatable {
        case credential(String)
        case file(String)
        case environment
    }
}

/// Where the Prometheus metrics endpoint listens (`metrics.listen`).
public struct MetricsSettings: Sendable, Equatable {
    public var host: String
    public var port: Int

    /// Parses `HOST:PORT` or `[IPv6]:PORT` (port 0: any free port, logged at start); nil when malformed.
    public init?(listen: String) {
        let host: Substring
        let port: Substring
        if listen.hasPrefix("[") {
            guard let close = listen.firstIndex(of: "]"), listen[listen.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            host = listen[listen.index(after: listen.startIndex)..<close]
            port = listen[listen.index(close, offsetBy: 2)...]
        } else {
            guard let colon = listen.lastIndex(of: ":") else { return nil }
            host = listen[..<colon]
            port = listen[listen.index(after: colon)...]
        }
        guard host.isEmpty == false, let number = Int(port), (0...65_535).contains(number) else { return nil }
        self.host = String(host)
        self.port = number
    }

    /// The address as written in the configuration.
    public var listen: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
