import Foundation
import GRDB

/// What the emulator remembers of Snowpipe Streaming channels across a restart: each channel's client sequencer,
/// committed offset token and counters (rows in flight are not remembered: they were never committed), and the
/// next client sequencer. A commit's rows and its channel's new offset token are written in one transaction.
extension TableStore {
    func recallChannels(_ db: Database, into memory: inout Memory) throws {
        let decoder = JSONDecoder()
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT key, pipe, name, created_ms, client_sequencer, committed_offset, status, counters
                FROM _emulator_channels
                """)
        {
            let counters = try decoder.decode(StreamingChannel.Counters.self, from: Data((row[7] as String).utf8))
            memory.channels[row[0]] = StreamingChannel(
                pipe: row[1], name: row[2], createdOnMs: row[3], clientSequencer: row[4], committedOffsetToken: row[5],
                statusCode: row[6], counters: counters)
        }
        if let next = try String.fetchOne(
            db, sql: "SELECT value FROM _emulator_meta WHERE key = 'next_client_sequencer'"), let value = Int64(next)
        {
            memory.nextClientSequencer = value
        }
    }

    /// Remembers channels (after an open) and the next client sequencer.
    func saveChannels(_ channels: [(key: String, channel: StreamingChannel)], nextClientSequencer: Int64) throws {
        try queue.write { db in
            try self.save(channels, db)
            try db.execute(
                sql: "INSERT OR REPLACE INTO _emulator_meta (key, value) VALUES ('next_client_sequencer', ?)",
                arguments: [String(nextClientSequencer)])
        }
    }

    /// Forgets a dropped channel.
    func deleteChannel(key: String) throws {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM _emulator_channels WHERE key = ?", arguments: [key])
        }
    }

    /// Commits streamed rows and their channels' new state in one transaction.
    func commitStreamed(
        rows batches: [(table: String, rows: [[DatabaseValue]])], channels: [(key: String, channel: StreamingChannel)]
    ) throws {
        try queue.write { db in
            try self.insertRows(batches, db)
            try self.save(channels, db)
        }
    }

    private func save(_ channels: [(key: String, channel: StreamingChannel)], _ db: Database) throws {
        let encoder = JSONEncoder()
        let statement = try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO _emulator_channels
                    (key, pipe, name, created_ms, client_sequencer, committed_offset, status, counters)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for (key, channel) in channels {
            let counters = String(decoding: try encoder.encode(channel.counters), as: UTF8.self)
            try statement.execute(arguments: [
                key, channel.pipe, channel.name, channel.createdOnMs, channel.clientSequencer,
                channel.committedOffsetToken, channel.statusCode, counters,
            ])
        }
    }
}
