/// The one rule for a refused credential inside one call, shared by the Snowflake clients: the streaming client's
/// scoped token (401), the driver session (390112 expired, 390114/390104 gone) and the stage's temporary S3
/// credentials (`ExpiredToken`). A credential that expired is renewed once; one that is gone (or expired again
/// after its renewal) is obtained anew once, where the client can start over (a new login); then the refusal is
/// the caller's to back off on. Each call starts with a fresh value, so no call can loop on a refusing server.
/// Pure.
public struct CredentialRenewal: Sendable, Equatable {
    /// Why the server refused the credential.
    public enum Refusal: Sendable, Equatable {
        /// Expired: renewing it (the same identity, a new token) may be enough.
        case expired
        /// No longer valid at all: only starting over (a new login) can help.
        case gone
    }

    /// What to do before repeating the call.
    public enum Step: Sendable, Equatable {
        /// Renew the credential, then repeat the call.
        case renew
        /// Start over (a new login, new credentials), then repeat the call.
        case startOver
        /// Stop: the refusal goes to the caller.
        case giveUp
    }

    /// The client can start over (log in again); without it, `gone` means give up.
    public let canStartOver: Bool
    public private(set) var renewed = false
    public private(set) var startedOver = false

    public init(canStartOver: Bool) {
        self.canStartOver = canStartOver
    }

    /// Decides what follows a refusal.
    public mutating func refused(_ refusal: Refusal) -> Step {
        if refusal == .expired, renewed == false {
            renewed = true
            return .renew
        }
        if canStartOver, startedOver == false {
            startedOver = true
            return .startOver
        }
        return .giveUp
    }
}
