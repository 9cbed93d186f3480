import Foundation
import GRDB
import IngestCore

/// A file found by the watcher or a scan, ready to be recorded.
public struct DiscoveredFile: Sendable, Equatable {
    public var pipe: String
    /// Absolute path on this machine.
    public var localPath: String
    /// The path sent to Snowpipe (stage prefix + path relative to the watched directory).
    public var stagePath: String
    public var size: Int64
    public var mtimeNanoseconds: Int64
    /// Set when the file can never be submitted (the row is recorded `REJECTED` with this reason).
    public var rejection: String?

    public init(
        pipe: String, localPath: String, stagePath: String, size: Int64, mtimeNanoseconds: Int64,
        rejection: String? = nil
    ) {
        self.pipe = pipe
        self.localPath = localPath
        self.stagePath = stagePath
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.rejection = rejection
    }
}

/// One row of the outbox: a file version and what happened to it.
public struct FileRecord: Sendable, Equatable, FetchableRecord, Codable {
    public var id: Int64
    public var pipe: String
    public var localPath: String
    public var stagePath: String
    public var size: Int64
    public var mtimeNanoseconds: Int64
    public var state: FileState
    public var discoveredAt: Date
    public var batchID: Int64?
    public var submittedAt: Date?
    public var finishedAt: Date?
    /// Snowpipe listed the path as skipped on a retry of its batch: it may be our own earlier attempt.
    public var maybeSkipped: Bool
    public var rowsInserted: Int64?
    public var rowsParsed: Int64?
    public var errorsSeen: Int64?
    public var firstError: String?
    public var firstErrorLine: Int64?
    public var firstErrorColumn: String?
    /// Why the row is in its state, in words (rejection reason, system error, skip explanation).
    public var detail: String?
    /// The requestId of the insertFiles call that submitted it.
    public var requestID: String?

    enum CodingKeys: String, CodingKey {
        case id, pipe, size, state, detail
        case localPath = "local_path"
        case stagePath = "stage_path"
        case mtimeNanoseconds = "mtime_ns"
        case discoveredAt = "discovered_at"
        case batchID = "batch_id"
        case submittedAt = "submitted_at"
        case finishedAt = "finished_at"
        case maybeSkipped = "maybe_skipped"
        case rowsInserted = "rows_inserted"
        case rowsParsed = "rows_parsed"
        case errorsSeen = "errors_seen"
        case firstError = "first_error"
        case firstErrorLine = "first_error_line"
        case firstErrorColumn = "first_error_column"
        case requestID = "request_id"
    }
}

extension FileRecord {
    /// A row as the outbox inserts it (the fields later stages fill start empty).
    public init(
        id: Int64, pipe: String, localPath: String, stagePath: String, size: Int64, mtimeNanoseconds: Int64,
        state: FileState, discoveredAt: Date, finishedAt: Date?, detail: String?
    ) {
        self.id = id
        self.pipe = pipe
        self.localPath = localPath
        self.stagePath = stagePath
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.state = state
        self.discoveredAt = discoveredAt
        self.finishedAt = finishedAt
        self.detail = detail
        maybeSkipped = false
    }

    /// Decodes a `files` row by position: every query that returns records selects `files.*` (or `RETURNING *`)
    /// first, in schema order, and migrations only ever append columns. Positional reads avoid GRDB's Codable
    /// path, whose per-column name lookups dominated the daemon's CPU profile at 100k files.
    public init(row: Row) throws {
        func date(_ index: Int) -> Date? {
            (row[index] as Double?).map { Date(timeIntervalSince1970: $0) }
        }
        let stateText: String = row[6]
        guard let state = FileState(rawValue: stateText) else {
            throw OutboxError.database("files row \(row[0] as Int64): unknown state \(stateText)")
        }
        id = row[0]
        pipe = row[1]
        localPath = row[2]
        stagePath = row[3]
        size = row[4]
        mtimeNanoseconds = row[5]
        self.state = state
        discoveredAt = date(7)!
        batchID = row[8]
        submittedAt = date(9)
        finishedAt = date(10)
        maybeSkipped = (row[11] as Int64) != 0
        rowsInserted = row[12]
        rowsParsed = row[13]
        errorsSeen = row[14]
        firstError = row[15]
        firstErrorLine = row[16]
        firstErrorColumn = row[17]
        detail = row[18]
        requestID = row[19]
    }
}

extension FileState: DatabaseValueConvertible {}

/// An insertFiles call in the making: its id, requestId and files. Persisted before the first attempt.
public struct Batch: Sendable, Equatable {
    public var id: Int64
    public var pipe: String
    public var requestID: String
    /// Attempts started before now (0: this will be the first).
    public var attempts: Int
    public var files: [FileRecord]
}

/// A final load status from Snowpipe for one path (from insertReport or loadHistoryScan).
public struct LoadReport: Sendable, Equatable {
    public var stagePath: String
    /// LOADED, PARTIALLY_LOADED, LOAD_FAILED, or LOAD_IN_PROGRESS.
    public var status: String
    public var rowsInserted: Int64?
    public var rowsParsed: Int64?
    public var errorsSeen: Int64?
    public var firstError: String?
    public var firstErrorLine: Int64?
    public var firstErrorColumn: String?
    public var systemError: String?
    /// When Snowflake received the file (its clock), to tell our submission from an older one of the same path.
    public var timeReceived: Date?

    public init(
        stagePath: String, status: String, rowsInserted: Int64? = nil, rowsParsed: Int64? = nil,
        errorsSeen: Int64? = nil, firstError: String? = nil, firstErrorLine: Int64? = nil,
        firstErrorColumn: String? = nil, systemError: String? = nil, timeReceived: Date? = nil
    ) {
        self.timeReceived = timeReceived
        self.stagePath = stagePath
        self.status = status
        self.rowsInserted = rowsInserted
        self.rowsParsed = rowsParsed
        self.errorsSeen = errorsSeen
        self.firstError = firstError
        self.firstErrorLine = firstErrorLine
        self.firstErrorColumn = firstErrorColumn
        self.systemError = systemError
    }
}

/// Counts per state for one pipe, for `snowpiped status` and `sd_notify STATUS=`.
public struct PipeSummary: Sendable, Equatable, Codable {
    public var pipe: String
    public var counts: [String: Int]
    /// When the oldest unfinished (pending or submitted) file was discovered.
    public var oldestUnfinished: Date?
    /// When the oldest pending file (not yet accepted by insertFiles, or not yet streamed) was discovered.
    public var oldestPending: Date? = nil
    /// When the oldest submitted file (accepted, final status not known yet) was discovered.
    public var oldestSubmitted: Date? = nil
    /// Upload rules: why uploads to the pipe's stage are failing now, and since when (nil when they work).
    public var uploadProblem: String? = nil
    public var uploadProblemSince: Date? = nil
    /// Why the pipe makes no progress now (insertFiles paused on a pipe-level refusal, a stream commit stalled), and
    /// since when (nil when it progresses).
    public var submitProblem: String? = nil
    public var submitProblemSince: Date? = nil
    /// The daemon's last successful call to Snowflake for this pipe.
    public var lastSuccessAt: Date? = nil
    /// The pipe backs off until then, and why (nil: it calls at will).
    public var backoffUntil: Date? = nil
    public var backoffReason: String? = nil
}
