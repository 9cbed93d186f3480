import CSystemd
import Foundation
import Logging

/// A swift-log handler writing to the systemd journal with `sd_journal_sendv`: the message, a priority from
/// the level, `SYSLOG_IDENTIFIER`, the code location, and every metadata key as a field (`file.path` ->
/// `SNOWPIPED_PATH` and the other names of DESIGN.md; any other key uppercased with `SNOWPIPED_`). When the
/// journal cannot be reached it writes the line to stderr with a `<N>` priority prefix, which journald's
/// stdout/stderr capture understands too.
public struct JournalLogHandler: LogHandler {
    /// swift-log metadata keys and the journal fields they become.
    public static let fieldNames: [String: String] = [
        "snowpipe.pipe": "SNOWPIPED_PIPE", "file.path": "SNOWPIPED_PATH", "file.stage_path": "SNOWPIPED_STAGE_PATH",
        "file.status": "SNOWPIPED_STATUS", "file.rows_inserted": "SNOWPIPED_ROWS_INSERTED",
        "file.rows_parsed": "SNOWPIPED_ROWS_PARSED", "file.errors": "SNOWPIPED_ERRORS",
        "file.first_error": "SNOWPIPED_FIRST_ERROR", "snowpipe.request_id": "SNOWPIPED_REQUEST_ID",
    ]

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public let identifier: String

    public init(identifier: String = "snowpiped", logLevel: Logger.Level = .info) {
        self.identifier = identifier
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// syslog priority for a swift-log level.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// The journal field name for a metadata key.
    public static func fieldName(_ key: String) -> String {
        if let known = fieldNames[key] { return known }
        let cleaned = key.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
        return "SNOWPIPED_" + String(cleaned)
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var fields = [
            "MESSAGE=\(event.message)", "PRIORITY=\(Self.priority(event.level))", "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(event.file)", "CODE_LINE=\(event.line)", "CODE_FUNC=\(event.function)",
        ]
        for (key, value) in merged { fields.append("\(Self.fieldName(key))=\(value)") }
        if Self.send(fields) < 0 {
            let details = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let line = "<\(Self.priority(event.level))>\(event.message)\(details.isEmpty ? "" : " " + details)\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// `sd_journal_sendv` with one iovec per `FIELD=value` (values may contain newlines: the journal protocol
    /// of sendv handles them).
    static func send(_ fields: [String]) -> Int32 {
        let buffers = fields.map { Array($0.utf8) }
        var pointers: [UnsafeMutableRawPointer] = []
        defer { pointers.forEach { $0.deallocate() } }
        var vectors: [iovec] = []
        for buffer in buffers {
            let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(buffer.count, 1), alignment: 1)
            buffer.withUnsafeBytes { pointer.copyMemory(from: $0.baseAddress!, byteCount: buffer.count) }
            pointers.append(pointer)
            vectors.append(iovec(iov_base: pointer, iov_len: buffer.count))
        }
        return sd_journal_sendv(&vectors, Int32(vectors.count))
    }
}
