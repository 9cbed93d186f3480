import Foundation

/// The claims of a Snowflake key-pair JWT. `iat`/`exp` are seconds since the epoch when we make them; when
/// parsing, values in milliseconds (as the streaming SDK sends) are accepted too (see `JWT.Parsed`).
public struct JWTClaims: Codable, Sendable, Equatable {
    /// `ACCOUNT.USER.SHA256:<fingerprint>`.
    public var iss: String
    /// `ACCOUNT.USER`.
    public var sub: String
    /// Issued at.
    public var iat: Int64
    /// Expires at.
    public var exp: Int64

    /// Claims for `account`/`user` signed by a key with `fingerprint`, issued at `issuedAt` for `lifetime` seconds.
    public init(account: String, user: String, fingerprint: String, issuedAt: Int64, lifetime: Int64) {
        let qualified = AccountIdentifier.qualifiedUser(account: account, user: user)
        self.iss = qualified + "." + fingerprint
        self.sub = qualified
        self.iat = issuedAt
        self.exp = issuedAt + lifetime
    }
}

/// Compact RS256 JWTs (RFC 7519) as Snowflake's key-pair authentication uses them.
public enum JWT {
    /// Signs `claims` with `key`. Header `{"alg":"RS256","typ":"JWT"}`, claims in the SDKs' order.
    public static func sign(_ claims: JWTClaims, with key: PrivateKey) throws(KeyError) -> String {
        let header = #"{"alg":"RS256","typ":"JWT"}"#
        // Hand-ordered JSON so the token is byte-for-byte what the Python SDK would produce for the same claims.
        let payload =
            #"{"iss":\#(jsonString(claims.iss)),"sub":\#(jsonString(claims.sub)),"iat":\#(claims.iat),"exp":\#(claims.exp)}"#
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        let signature = try key.signRS256(Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }

    private static func jsonString(_ value: String) -> String {
        let data = try! JSONEncoder().encode(value)
        return String(decoding: data, as: UTF8.self)
    }

    /// A token split into its parts, not yet verified.
    public struct Parsed: Sendable {
        /// The `alg` header value.
        public let algorithm: String
        /// `iss`, if present and a string.
        public let issuer: String?
        /// `sub`, if present and a string.
        public let subject: String?
        /// `iat` in seconds (converted from milliseconds when the value is that large).
        public let issuedAt: Int64?
        /// `exp` in seconds (converted from milliseconds when the value is that large).
        public let expiresAt: Int64?
        /// The bytes the signature covers.
        public let signingInput: [UInt8]
        /// The raw signature.
        public let signature: [UInt8]

        /// Splits and decodes a compact JWT; nil when it is not one.
        public init?(_ token: String) {
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3,
                let headerBytes = Base64URL.decode(parts[0]),
                let payloadBytes = Base64URL.decode(parts[1]),
                let signature = Base64URL.decode(parts[2]),
                let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any],
                let payload = try? JSONSerialization.jsonObject(with: Data(payloadBytes)) as? [String: Any],
                let algorithm = header["alg"] as? String
            else { return nil }
            self.algorithm = algorithm
            self.issuer = payload["iss"] as? String
            self.subject = payload["sub"] as? String
            self.issuedAt = Self.seconds(payload["iat"])
            self.expiresAt = Self.seconds(payload["exp"])
            self.signingInput = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
            self.signature = signature
        }

        /// Epoch values above 10^11 are taken as milliseconds (10^11 s is the year 5138).
        private static func seconds(_ value: Any?) -> Int64? {
            guard let number = value as? NSNumber else { return nil }
            let raw = number.int64Value
            return raw > 100_000_000_000 ? raw / 1000 : raw
        }

        /// True when `key` made the signature (RS256 only).
        public func isSigned(by key: PublicKey) -> Bool {
            algorithm == "RS256" && key.verifyRS256(message: signingInput, signature: signature)
        }
    }
}
