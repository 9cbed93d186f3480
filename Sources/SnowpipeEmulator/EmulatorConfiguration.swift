import Foundation
import IngestCore

/// Everything the emulator is told at start: who may call it, which pipes exist, and how it behaves.
///
/// Decoded from JSON (`snowpipe-emulator --config FILE`); every field but `pipes` and `users` has a default
/// named below, so a minimal file lists only users and pipes.
public struct EmulatorConfiguration: Codable, Sendable {
    /// Default: an event is loaded this many seconds after insertFiles accepted it.
    public static let defaultLoadDelaySeconds = 1.0
    /// insertReport keeps at most this many events per pipe.
    public static let defaultReportCapacity = 10_000
    /// insertReport keeps an event at most this long.
    public static let defaultReportRetentionSeconds = SnowpipeLimits.reportRetentionSeconds
    /// loadHistoryScan covers this far back.
    public static let defaultHistoryRetentionSeconds = SnowpipeLimits.loadMetadataSeconds
    /// A path a pipe has received is skipped for this long.
    public static let defaultDedupWindowSeconds = 14 * 86_400.0
    /// loadHistoryScan calls allowed per pipe per minute before 429 (0 = unlimited).
    public static let defaultHistoryScanCallsPerMinute = 30

    /// The account callers must name in their JWT (`iss`/`sub`), e.g. `MYORG-MYACCT`.
    public var account: String
    /// Users, their registered public keys and the pipes granted to them.
    public var users: [User]
    /// The pipes, by fully qualified name.
    public var pipes: [PipeDefinition]
    /// Seconds between acceptance and loading (0 = as soon as the loader runs).
    public var loadDelaySeconds: Double
    /// Files larger than this (bytes, after decompression) first report `LOAD_IN_PROGRESS`; nil = never.
    public var inProgressThresholdBytes: Int?
    /// How long a large file stays `LOAD_IN_PROGRESS` before its final event.
    public var inProgressSeconds: Double
    /// insertReport ring size per pipe.
    public var reportCapacity: Int
    /// insertReport retention.
    public var reportRetentionSeconds: Double
    /// loadHistoryScan retention.
    public var historyRetentionSeconds: Double
    /// Load-metadata (dedup) window.
    public var dedupWindowSeconds: Double
    /// Status for more than 5000 files in one insertFiles: 400 as the API page says, or 429 as newer pages say.
    public var tooManyFilesStatus: Int
    /// loadHistoryScan rate limit per pipe (calls per rolling minute; 0 = unlimited).
    public var historyScanCallsPerMinute: Int
    /// Entries per loadHistoryScan answer (Snowflake: 10,000). Smaller values let tests page with few files;
    /// events are then stamped at most `historyPageSize - 1` per millisecond, so paging on `rangeEndTime`
    /// still makes progress.
    public var historyPageSize = SnowpipeEmulator.maximumHistoryEntries
    /// How many events may share one millisecond stamp: fewer than a history page holds (and at most 1000).
    var eventsPerMillisecond: Int { min(1000, max(1, historyPageSize - 1)) }
    /// Where loaded rows go: a SQLite file, or nil for an in-memory database.
    public var databasePath: String?
    /// Start with the clock frozen at this ISO-8601 instant (manual clock); nil = the system clock.
    public var manualClockStart: String?
    /// Default: a streamed append commits this many seconds after it was accepted.
    public static let defaultStreamingCommitDelaySeconds = 1.0
    /// Default ingest host `GET /v2/streaming/hostname` answers (the official SDK then calls it on the same port,
    /// so it must resolve to the emulator and, over TLS, be in its certificate).
    public static let defaultStreamingHostname = "localhost"
    /// Seconds between a streamed append's acceptance and its commit (0 = as soon as the loader runs).
    public var streamingCommitDelaySeconds = defaultStreamingCommitDelaySeconds
    /// The ingest host name of the account (Snowpipe Streaming).
    public var streamingHostname = defaultStreamingHostname
    /// Appends read only `startOffsetToken`/`endOffsetToken`, the parameters the official SDK sends, and ignore the
    /// API page's bare `offsetToken` (which the SDK never sends: `reference/fidelity-facts.md`). Off by default
    /// (both are read, `endOffsetToken` first); tests turn it on to prove a client works with either server.
    public var ignoresBareOffsetToken = false
    /// `:bulk-channel-status` keys each answer by the channel's canonical name (an unquoted identifier, upper
    /// case) instead of the name as requested. Which one Snowflake uses is not settled by any source; tests turn this
    /// on to prove a client finds its channel either way.
    public var canonicalChannelNames = false
    /// Named internal stages a session's `PUT` may write to (their objects live in `stageStorage`).
    public var stages: [StageDefinition] = []
    /// The S3 server behind the internal stages (moto in tests); required when `stages` is not empty.
    public var stageStorage: StageStorageSettings?
    /// The multipart threshold a PUT answer hands out (`data.threshold`; Snowflake's is 200 MiB).
    public var putThresholdBytes = SnowpipeEmulator.defaultPutThresholdBytes

    /// A user allowed to call the API.
    public struct User: Codable, Sendable {
        /// User name (matched case-insensitively, as Snowflake uppercases it in the JWT).
        public var name: String
        /// Registered keys (like `RSA_PUBLIC_KEY` and `RSA_PUBLIC_KEY_2`): PEM or bare base64 DER.
        public var publicKeys: [String]
        /// Files holding more registered keys (PEM), read when the emulator starts: a configuration that trusts
        /// `snowpiped keygen`'s `.pub` file without copying it in.
        public var publicKeyFiles: [String]?
        /// Fully qualified pipe names this user may use; others answer 404 as Snowflake does.
        public var pipes: [String]

        public init(name: String, publicKeys: [String], publicKeyFiles: [String]? = nil, pipes: [String]) {
            self.name = name
            self.publicKeys = publicKeys
            self.publicKeyFiles = publicKeyFiles
            self.pipes = pipes
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            publicKeyFiles = try c.decodeIfPresent([String].self, forKey: .publicKeyFiles)
            publicKeys = try c.decodeIfPresent([String].self, forKey: .publicKeys) ?? []
            pipes = try c.decode([String].self, forKey: .pipes)
            if publicKeys.isEmpty, (publicKeyFiles ?? []).isEmpty {
                throw DecodingError.dataCorruptedError(
                    forKey: .publicKeys, in: c, debugDescription: "user \(name) needs publicKeys or publicKeyFiles")
            }
        }

        /// `publicKeys` plus the contents of `publicKeyFiles`.
        /// - Throws: an error naming the file that cannot be read.
        public func resolvingKeyFiles() throws -> User {
            var resolved = self
            for path in publicKeyFiles ?? [] {
                do {
                    resolved.publicKeys.append(try String(contentsOfFile: path, encoding: .utf8))
                } catch {
                    throw EmulatorConfigurationError(
                        "users[\(name)].publicKeyFiles: cannot read \(path): \(error.localizedDescription)")
                }
            }
            resolved.publicKeyFiles = nil
            return resolved
        }
    }

    public init(
        account: String,
        users: [User],
        pipes: [PipeDefinition],
        loadDelaySeconds: Double = defaultLoadDelaySeconds,
        inProgressThresholdBytes: Int? = nil,
        inProgressSeconds: Double = 5,
        reportCapacity: Int = defaultReportCapacity,
        reportRetentionSeconds: Double = defaultReportRetentionSeconds,
        historyRetentionSeconds: Double = defaultHistoryRetentionSeconds,
        dedupWindowSeconds: Double = defaultDedupWindowSeconds,
        tooManyFilesStatus: Int = 400,
        historyScanCallsPerMinute: Int = defaultHistoryScanCallsPerMinute,
        databasePath: String? = nil,
        manualClockStart: String? = nil
    ) {
        self.account = account
        self.users = users
        self.pipes = pipes
        self.loadDelaySeconds = loadDelaySeconds
        self.inProgressThresholdBytes = inProgressThresholdBytes
        self.inProgressSeconds = inProgressSeconds
        self.reportCapacity = reportCapacity
        self.reportRetentionSeconds = reportRetentionSeconds
        self.historyRetentionSeconds = historyRetentionSeconds
        self.dedupWindowSeconds = dedupWindowSeconds
        self.tooManyFilesStatus = tooManyFilesStatus
        self.historyScanCallsPerMinute = historyScanCallsPerMinute
        self.databasePath = databasePath
        self.manualClockStart = manualClockStart
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            account: try c.decode(String.self, forKey: .account),
            users: try c.decode([User].self, forKey: .users),
            pipes: try c.decode([PipeDefinition].self, forKey: .pipes),
            loadDelaySeconds: try c.decodeIfPresent(Double.self, forKey: .loadDelaySeconds)
                ?? Self.defaultLoadDelaySeconds,
            inProgressThresholdBytes: try c.decodeIfPresent(Int.self, forKey: .inProgressThresholdBytes),
            inProgressSeconds: try c.decodeIfPresent(Double.self, forKey: .inProgressSeconds) ?? 5,
            reportCapacity: try c.decodeIfPresent(Int.self, forKey: .reportCapacity) ?? Self.defaultReportCapacity,
            reportRetentionSeconds: try c.decodeIfPresent(Double.self, forKey: .reportRetentionSeconds)
                ?? Self.defaultReportRetentionSeconds,
            historyRetentionSeconds: try c.decodeIfPresent(Double.self, forKey: .historyRetentionSeconds)
                ?? Self.defaultHistoryRetentionSeconds,
            dedupWindowSeconds: try c.decodeIfPresent(Double.self, forKey: .dedupWindowSeconds)
                ?? Self.defaultDedupWindowSeconds,
            tooManyFilesStatus: try c.decodeIfPresent(Int.self, forKey: .tooManyFilesStatus) ?? 400,
            historyScanCallsPerMinute: try c.decodeIfPresent(Int.self, forKey: .historyScanCallsPerMinute)
                ?? Self.defaultHistoryScanCallsPerMinute,
            databasePath: try c.decodeIfPresent(String.self, forKey: .databasePath),
            manualClockStart: try c.decodeIfPresent(String.self, forKey: .manualClockStart)
        )
        historyPageSize =
            try c.decodeIfPresent(Int.self, forKey: .historyPageSize) ?? SnowpipeEmulator.maximumHistoryEntries
        streamingCommitDelaySeconds =
            try c.decodeIfPresent(Double.self, forKey: .streamingCommitDelaySeconds)
            ?? Self.defaultStreamingCommitDelaySeconds
        streamingHostname =
            try c.decodeIfPresent(String.self, forKey: .streamingHostname) ?? Self.defaultStreamingHostname
        stages = try c.decodeIfPresent([StageDefinition].self, forKey: .stages) ?? []
        stageStorage = try c.decodeIfPresent(StageStorageSettings.self, forKey: .stageStorage)
        putThresholdBytes =
            try c.decodeIfPresent(Int.self, forKey: .putThresholdBytes) ?? SnowpipeEmulator.defaultPutThresholdBytes
    }
}

/// A configuration value that cannot be used, with the key and what is wrong.
public struct EmulatorConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
