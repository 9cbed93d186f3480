/// The account and user names as Snowflake's key-pair JWT carries them.
public enum AccountIdentifier {
    /// The account part of `iss`/`sub`: uppercased and cut at the first dot, as the official SDKs do
    /// (`xy12345.us-east-2.aws` -> `XY12345`, `myorg-myacct` -> `MYORG-MYACCT`).
    public static func jwtAccount(_ account: String) -> String {
        let upper = account.uppercased()
        return String(upper.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// `ACCOUNT.USER`, the JWT `sub`.
    public static func qualifiedUser(account: String, user: String) -> String {
        jwtAccount(account) + "." + user.uppercased()
    }
}
