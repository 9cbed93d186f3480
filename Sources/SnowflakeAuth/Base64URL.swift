import Foundation

/// Base64url without padding (RFC 7515 §2), as JWTs use it.
public enum Base64URL {
    /// Encodes bytes as unpadded base64url.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes unpadded (or padded) base64url; returns nil for anything else.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if base64.contains("=") == false {
            let remainder = base64.utf8.count % 4
            if remainder == 1 { return nil }
            if remainder > 0 { base64 += String(repeating: "=", count: 4 - remainder) }
        }
        guard let data = Data(base64Encoded: base64) else { return nil }
        return [UInt8](data)
    }
}
