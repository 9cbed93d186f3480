import COpenSSL

/// Reads and clears OpenSSL's thread-local error queue.
public enum OpenSSLErrorQueue {
    /// One entry of the queue: the library and reason codes plus OpenSSL's own text.
    public struct Entry: Sendable {
        public let library: Int32
        public let reason: Int32
        public let text: String
    }

    /// Drains the queue, oldest entry first.
    public static func drain() -> [Entry] {
        var entries: [Entry] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // ERR_GET_LIB / ERR_GET_REASON are inline functions in OpenSSL 3: decode the packed code the same way.
            let library = Int32((code >> 23) & 0xFF)
            let reason = Int32(code & 0x7FFFFF)
            entries.append(Entry(library: library, reason: reason, text: text))
        }
        return entries
    }

    /// Drains the queue and joins the texts, for "detail" parts of error messages (never contains key material).
    public static func summary() -> String {
        let entries = drain()
        if entries.isEmpty { return "no detail from OpenSSL" }
        return entries.map(\.text).joined(separator: "; ")
    }
}
