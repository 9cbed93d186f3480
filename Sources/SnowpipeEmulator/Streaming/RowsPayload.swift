import Codecs
import Foundation
import IngestCore

/// The rows of an append request: the body decoded (`Content-Encoding` gzip or zstd) and split into NDJSON texts.
///
/// Limits (REST reference): the rows payload is at most 4 MB as sent (after compression, when compressed) and a
/// request at most 16 MB, which here bounds the decompressed rows too, so a small compressed body cannot expand
/// without limit. Each JSON text must be RFC 8259 JSON followed by `\n` (optionally `\r\n`); empty lines are
/// skipped, as the official SDK ends every batch with one. A line that is not JSON refuses the whole request
/// (400, naming the line): nothing is appended and the continuation token stays good.
enum RowsPayload {
    /// At most this many bytes of rows as sent.
    static let maximumRowsBytes = StreamingLimits.maximumRowsBytes
    /// At most this many bytes in one request, and in the decompressed rows.
    static let maximumRequestBytes = StreamingLimits.maximumRequestBytes

    /// The JSON texts of `body`, in order.
    /// - Throws: 413 over a limit, 415 for another encoding, 400 for a corrupt stream or a line that is not JSON.
    static func rows(body: [UInt8], contentEncoding: String?) throws(StreamingError) -> [JSONValue] {
        guard body.count <= maximumRowsBytes else {
            throw .payloadTooLarge(
                "The rows payload is \(body.count) bytes; at most \(maximumRowsBytes) bytes are allowed per request. "
                    + "Split the rows into several appends")
        }
        let text = try decode(body, encoding: contentEncoding)
        return try split(text)
    }

    /// `body` decompressed according to `Content-Encoding`, refused past `limit` bytes.
    static func decode(
        _ body: [UInt8], encoding: String?, limit: Int = maximumRequestBytes
    ) throws(StreamingError) -> [UInt8] {
        let name = (encoding ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let decoded: [UInt8]
        switch name {
        case "", "identity":
            decoded = body
        case "gzip":
            do {
                decoded = try Gzip.decompress(body)
            } catch {
                throw .invalidRows("Content-Encoding is gzip but the body is not a valid gzip stream")
            }
        case "zstd":
            do {
                decoded = try Zstd.decompress(body, limit: limit)
            } catch {
                if error.exceededLimit {
                    throw .payloadTooLarge(
                        "The decompressed rows are more than \(limit) bytes. "
                            + "Split the rows into several appends")
                }
                throw .invalidRows("Content-Encoding is zstd but the body is not a valid zstd stream: \(error.message)")
            }
        default:
            throw .unsupportedEncoding(name)
        }
        guard decoded.count <= limit else {
            throw .payloadTooLarge(
                "The decompressed rows are more than \(limit) bytes. Split the rows into several appends")
        }
        return decoded
    }

    /// Splits NDJSON into JSON texts, strictly.
    static func split(_ bytes: [UInt8]) throws(StreamingError) -> [JSONValue] {
        guard bytes.isEmpty == false else { return [] }
        guard bytes.last == UInt8(ascii: "\n") else {
            throw .invalidRows("The last JSON text is not followed by a newline (\\n); NDJSON ends every row with one")
        }
        var rows: [JSONValue] = []
        var line = 0
        for slice in bytes.dropLast().split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            line += 1
            var text = slice
            if text.last == UInt8(ascii: "\r") { text = text.dropLast() }
            if text.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { continue }
            guard StrictJSON.isValid(text), let value = JSONValue.parse(text) else {
                let preview = String(decoding: text.prefix(80), as: UTF8.self)
                throw .invalidRows("Line \(line) of the rows payload is not valid JSON (RFC 8259): \(preview)")
            }
            rows.append(value)
        }
        return rows
    }
}
