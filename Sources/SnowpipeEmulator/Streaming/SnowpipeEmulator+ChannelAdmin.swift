import Foundation
import IngestCore
import Logging

/// One streaming channel as `GET /admin/channels` shows it (not part of Snowpipe Streaming).
public struct ChannelSummary: Codable, Sendable, Equatable {
    /// Canonical pipe name.
    public var pipe: String
    /// Channel name as first opened.
    public var channel: String
    /// `SUCCESS`, or `ERR_CHANNEL_MUST_BE_REOPENED` after an invalidation.
    public var statusCode: String
    public var committedOffsetToken: String?
    /// Appends accepted.
    public var appends: Int
    /// Rows committed into the table.
    public var rowsCommitted: Int
    /// Rows rejected at commit.
    public var rowsRejected: Int
    /// Rows accepted, not committed yet.
    public var rowsInFlight: Int
    /// The client sequencer of the last open.
    public var clientSequencer: Int64
}

extension SnowpipeEmulator {
    /// Every streaming channel, by pipe and name.
    public func channelSummaries() -> [ChannelSummary] {
        channels.values.sorted { ($0.pipe, $0.name) < ($1.pipe, $1.name) }.map { channel in
            ChannelSummary(
                pipe: channel.pipe, channel: channel.name, statusCode: channel.statusCode,
                committedOffsetToken: channel.committedOffsetToken, appends: channel.counters.appends,
                rowsCommitted: channel.counters.rowsInserted, rowsRejected: channel.counters.rowsErrorCount,
                rowsInFlight: channel.inFlightRows, clientSequencer: channel.clientSequencer)
        }
    }

    /// Invalidates a channel as `SYSTEM$STREAMING_CHANNEL_INVALIDATE` does: its rows in flight are dropped and
    /// every continuation token is stale until the channel is reopened. Returns false for an unknown channel.
    @discardableResult
    public func invalidateChannel(pipe: String, channel: String) -> Bool {
        let key = Self.channelKey(pipe: pipe, channel: channel)
        guard channels[key] != nil else { return false }
        channels[key]!.invalidate()
        do {
            try tables.saveChannels([(key, channels[key]!)], nextClientSequencer: nextClientSequencer)
        } catch {
            logger.error("cannot remember the invalidated channel", metadata: ["error": "\(error)"])
        }
        return true
    }

    /// `/admin/channels…`: `GET /admin/channels` lists every channel's counts; `POST /admin/channels/invalidate`
    /// `{"pipe":"DB.S.P","channel":"C"}` invalidates one.
    func handleChannelAdmin(_ request: EmulatorRequest) -> EmulatorResponse? {
        switch (request.method, request.path) {
        case ("GET", "/admin/channels"):
            return .encoded(200, channelSummaries())
        case ("POST", "/admin/channels/invalidate"):
            struct Body: Decodable {
                var pipe: String
                var channel: String
            }
            guard let body = try? JSONDecoder().decode(Body.self, from: Data(request.body)) else {
                return .json(400, ["error": "body must be {\"pipe\": \"DB.SCHEMA.PIPE\", \"channel\": \"NAME\"}"])
            }
            guard invalidateChannel(pipe: body.pipe, channel: body.channel) else {
                return .json(404, ["error": "no channel \(body.channel) on pipe \(body.pipe)"])
            }
            return .json(200, ["ok": true])
        default:
            return nil
        }
    }
}
