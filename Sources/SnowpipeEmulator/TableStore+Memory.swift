import Foundation
import GRDB

/// What a pipe remembers across an emulator restart, as Snowflake does: the paths it received (the 14-day load
/// metadata), the load events (insertReport's ring and loadHistoryScan's history, with their sequence numbers so
/// begin marks stay valid), the loads still queued, and the instance id in begin marks. Kept in the emulator's
/// database beside the loaded rows; a load's rows and its event are committed in one transaction.
extension TableStore {
    static let memorySchema = """
        CREATE TABLE IF NOT EXISTS "_emulator_meta" (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS "_emulator_received" (
            pipe TEXT NOT NULL, path TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (pipe, path));
        CREATE TABLE IF NOT EXISTS "_emulator_events" (
            pipe TEXT NOT NULL, sequence INTEGER NOT NULL, load_id INTEGER NOT NULL, last_insert REAL NOT NULL,
            entry TEXT NOT NULL, PRIMARY KEY (pipe, sequence));
        CREATE TABLE IF NOT EXISTS "_emulator_queue" (
            id INTEGER PRIMARY KEY, pipe TEXT NOT NULL, path TEXT NOT NULL, received_at REAL NOT NULL,
            due REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS "_emulator_channels" (
            key TEXT PRIMARY KEY, pipe TEXT NOT NULL, name TEXT NOT NULL, created_ms INTEGER NOT NULL,
            client_sequencer INTEGER NOT NULL, committed_offset TEXT, status TEXT NOT NULL, counters TEXT NOT NULL);
        """

    /// An event as stored.
    struct StoredEvent: Sendable {
        var pipe: String
        var sequence: Int
        var loadID: Int
        var entry: FileEntry
    }

    /// Everything remembered, to rebuild the engine's state at start.
    struct Memory: Sendable {
        var instance: String?
        var received: [(pipe: String, path: String, at: Date)] = []
        var events: [StoredEvent] = []
        var queue: [LoadJob] = []
        /// Pipe -> the sequence number its next event gets.
        var nextSequences: [String: Int] = [:]
        /// Streaming channels by key, nothing in flight.
        var channels: [String: StreamingChannel] = [:]
        /// The client sequencer the next channel open gets.
        var nextClientSequencer: Int64 = 1
    }

    /// Reads what a previous run remembered.
    func recall() throws -> Memory {
        try queue.read { db in
            var memory = Memory()
            memory.instance = try String.fetchOne(db, sql: "SELECT value FROM _emulator_meta WHERE key = 'instance'")
            for row in try Row.fetchAll(db, sql: "SELECT key, value FROM _emulator_meta WHERE key LIKE 'next:%'") {
                memory.nextSequences[String((row[0] as String).dropFirst(5))] = Int(row[1] as String)
            }
            for row in try Row.fetchAll(db, sql: "SELECT pipe, path, at FROM _emulator_received") {
                memory.received.append((row[0], row[1], Date(timeIntervalSince1970: row[2])))
            }
            let decoder = JSONDecoder()
            for row in try Row.fetchAll(
                db, sql: "SELECT pipe, sequence, load_id, entry FROM _emulator_events ORDER BY pipe, sequence")
            {
                let stored = try decoder.decode(StoredEntry.self, from: Data((row[3] as String).utf8))
                memory.events.append(StoredEvent(pipe: row[0], sequence: row[1], loadID: row[2], entry: stored.entry))
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT id, pipe, path, received_at, due FROM _emulator_queue ORDER BY id")
            {
                memory.queue.append(
                    LoadJob(
                        id: row[0], pipe: row[1], path: row[2], receivedAt: Date(timeIntervalSince1970: row[3]),
                        due: Date(timeIntervalSince1970: row[4])))
            }
            try recallChannels(db, into: &memory)
            return memory
        }
    }

    /// Remembers this instance's id (begin marks carry it).
    func rememberInstance(_ instance: String) throws {
        try queue.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO _emulator_meta (key, value) VALUES ('instance', ?)", arguments: [instance])
        }
    }

    /// Remembers accepted paths and their queued loads (before insertFiles answers).
    func rememberAccepted(pipe: String, jobs: [LoadJob]) throws {
        guard jobs.isEmpty == false else { return }
        try queue.write { db in
            let received = try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO _emulator_received (pipe, path, at) VALUES (?, ?, ?)")
            let queued = try db.cachedStatement(
                sql: "INSERT INTO _emulator_queue (id, pipe, path, received_at, due) VALUES (?, ?, ?, ?, ?)")
            for job in jobs {
                try received.execute(arguments: [pipe, job.path, job.receivedAt.timeIntervalSince1970])
                try queued.execute(arguments: [
                    job.id, pipe, job.path, job.receivedAt.timeIntervalSince1970, job.due.timeIntervalSince1970,
                ])
            }
        }
    }

    /// Commits finished loads in one transaction: their rows, their events, and their jobs leave the queue.
    func commitLoads(
        rows batches: [(table: String, rows: [[DatabaseValue]])], events: [StoredEvent], finishedJobs: [Int],
        requeued: [LoadJob], nextSequences: [String: Int]
    ) throws {
        let encoder = JSONEncoder()
        let encoded = try events.map { String(decoding: try encoder.encode(StoredEntry($0.entry)), as: UTF8.self) }
        try queue.write { db in
            try self.insertRows(batches, db)
            let event = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO _emulator_events (pipe, sequence, load_id, last_insert, entry)
                    VALUES (?, ?, ?, ?, ?)
                    """)
            for (index, stored) in events.enumerated() {
                try event.execute(arguments: [
                    stored.pipe, stored.sequence, stored.loadID, stored.entry.lastInsertTime.timeIntervalSince1970,
                    encoded[index],
                ])
            }
            let done = try db.cachedStatement(sql: "DELETE FROM _emulator_queue WHERE id = ?")
            for id in finishedJobs { try done.execute(arguments: [id]) }
            for job in requeued {
                try db.execute(
                    sql: "UPDATE _emulator_queue SET due = ? WHERE id = ?",
                    arguments: [job.due.timeIntervalSince1970, job.id])
            }
            for (pipe, next) in nextSequences {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO _emulator_meta (key, value) VALUES (?, ?)",
                    arguments: ["next:" + pipe, String(next)])
            }
        }
    }

    /// Forgets events and receipts older than Snowflake keeps them.
    func forget(eventsBefore: Date, receivedBefore: Date) throws {
        try queue.write { db in
            try db.execute(
                sql: "DELETE FROM _emulator_events WHERE last_insert < ?",
                arguments: [eventsBefore.timeIntervalSince1970])
            try db.execute(
                sql: "DELETE FROM _emulator_received WHERE at < ?", arguments: [receivedBefore.timeIntervalSince1970])
        }
    }
}

/// A `FileEntry` in the database (every field, raw).
struct StoredEntry: Codable {
    var path: String
    var stageLocation: String
    var fileSize: Int
    var timeReceived: Double
    var lastInsertTime: Double
    var rowsInserted: Int
    var rowsParsed: Int
    var errorsSeen: Int
    var errorLimit: Int
    var complete: Bool
    var status: String
    var firstErrorMessage: String?
    var firstErrorLine: Int?
    var firstErrorCharacter: Int?
    var firstErrorColumn: String?
    var systemError: String?

    init(_ entry: FileEntry) {
        path = entry.path
        stageLocation = entry.stageLocation
        fileSize = entry.fileSize
        timeReceived = entry.timeReceived.timeIntervalSince1970
        lastInsertTime = entry.lastInsertTime.timeIntervalSince1970
        rowsInserted = entry.rowsInserted
        rowsParsed = entry.rowsParsed
        errorsSeen = entry.errorsSeen
        errorLimit = entry.errorLimit
        complete = entry.complete
        status = entry.status.rawValue
        firstErrorMessage = entry.firstError?.message
        firstErrorLine = entry.firstError?.line
        firstErrorCharacter = entry.firstError?.characterPosition
        firstErrorColumn = entry.firstError?.columnName
        systemError = entry.systemError
    }

    var entry: FileEntry {
        FileEntry(
            path: path, stageLocation: stageLocation, fileSize: fileSize,
            timeReceived: Date(timeIntervalSince1970: timeReceived),
            lastInsertTime: Date(timeIntervalSince1970: lastInsertTime), rowsInserted: rowsInserted,
            rowsParsed: rowsParsed, errorsSeen: errorsSeen, errorLimit: errorLimit, complete: complete,
            status: LoadStatus(rawValue: status) ?? .loadFailed,
            firstError: firstErrorMessage.map {
                LoadOutcome.FirstError(
                    message: $0, line: firstErrorLine ?? 0, characterPosition: firstErrorCharacter ?? 0,
                    columnName: firstErrorColumn)
            },
            systemError: systemError)
    }
}
