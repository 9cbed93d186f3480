import Foundation
import GRDB
import IngestCore
import Logging

extension SnowpipeEmulator {
    /// When the next streamed append commits, if any is in flight.
    var nextStreamingCommit: Date? { channels.values.compactMap(\.nextCommit).min() }

    /// Commits every streamed append whose time has come, in order per channel: rows that fit the table are
    /// inserted, the others counted as errors; the channel's committed offset token moves to the append's. The
    /// rows and the channels' new state are stored in one transaction, and the channels change in memory only
    /// once it committed: if the write fails, the appends stay in flight and commit at a later pass (a committed
    /// offset token always means the rows are in the table). Returns how many appends committed.
    @discardableResult
    func commitDueAppends() -> Int {
        let now = clock.now()
        var batches: [(table: String, rows: [[DatabaseValue]])] = []
        var changed: [(key: String, channel: StreamingChannel)] = []
        var committed = 0
        var rowsCommitted: [String: Int] = [:]
        var rowsRejected = 0
        for key in channels.keys.sorted() {
            guard let next = channels[key]?.nextCommit, next <= now, var channel = channels[key],
                let pipe = pipes[channel.pipe]
            else { continue }
            let mapper = JSONRowMapper(table: pipe.table, columns: pipe.columns)
            for append in channel.takeDue(now: now) {
                var rows: [[DatabaseValue]] = []
                rows.reserveCapacity(append.rows.count)
                var errors = 0
                var firstError: String?
                var rowNumber = channel.counters.nextRowNumber
                let channelName = channel.name.databaseValue
                for document in append.rows {
                    switch mapper.row(for: document, text: document.loadText ?? "null") {
                    case .success(let row):
                        rows.append(row + [channelName, rowNumber.databaseValue])
                        rowNumber += 1
                    case .failure(let mismatch):
                        errors += 1
                        if firstError == nil {
                            firstError = mismatch.message + (mismatch.columnName.map { ", column \($0)" } ?? "")
                        }
                    }
                }
                channel.committed(append, inserted: rows.count, errors: errors, firstError: firstError, now: now)
                rowsCommitted[pipe.table, default: 0] += rows.count
                rowsRejected += errors
                batches.append((pipe.table, rows))
                committed += 1
            }
            changed.append((key, channel))
        }
        guard committed > 0 else { return 0 }
        do {
            try tables.commitStreamed(rows: batches, channels: changed)
        } catch {
            logger.error("cannot store streamed rows; they stay in flight", metadata: ["error": "\(error)"])
            return 0
        }
        for (key, channel) in changed { channels[key] = channel }
        for (table, count) in rowsCommitted {
            stats.rowsByTable[table, default: 0] += count
            stats.streamingRowsCommitted += count
        }
        stats.streamingRowsRejected += rowsRejected
        return committed
    }
}
