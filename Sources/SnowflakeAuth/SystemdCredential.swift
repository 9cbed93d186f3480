/// systemd service credentials: `LoadCredential=NAME:PATH` in the unit makes the file readable to the service
/// (only) at `$CREDENTIALS_DIRECTORY/NAME`. Shared by every secret a configuration names as `credential: NAME`.
public enum SystemdCredential {
    /// Where credential `name` is, or nil when `$CREDENTIALS_DIRECTORY` is unset (no `LoadCredential=`, or not
    /// run by systemd); the caller's error says which line to add.
    public static func path(_ name: String, environment: [String: String]) -> String? {
        guard let directory = environment["CREDENTIALS_DIRECTORY"], directory.isEmpty == false else { return nil }
        return directory + "/" + name
    }
}
