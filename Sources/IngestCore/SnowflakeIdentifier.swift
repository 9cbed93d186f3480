/// Snowflake object identifiers, as the configuration accepts them: a fully qualified name is three parts
/// separated by dots, each either unquoted (a letter or `_`, then letters, digits, `_` or `$`; case-insensitive)
/// or double-quoted (any printable characters, `""` for a quote; case-sensitive), at most 255 characters.
public enum SnowflakeIdentifier {
    /// The longest identifier Snowflake accepts.
    public static let maximumLength = 255

    /// Splits and checks `DATABASE.SCHEMA.OBJECT`.
    /// - Returns: nil when valid, else what is wrong (for a configuration message).
    public static func problemWithQualifiedName(_ name: String) -> String? {
        let parts: [String]
        switch split(name) {
        case .failure(let problem): return problem.message
        case .success(let value): parts = value
        }
        for part in parts {
            if let problem = problemWithPart(part) { return problem }
        }
        guard parts.count == 3 else {
            return "must be fully qualified as DATABASE.SCHEMA.NAME (found \(parts.count) part(s))"
        }
        return nil
    }

    /// The name as Snowflake stores it, which the REST paths need (the insertFiles page: "case-sensitive,
    /// fully-qualified pipe name"): each unquoted part upper-cased (`mydb.public.orders_pipe` was created as
    /// `MYDB.PUBLIC.ORDERS_PIPE`), each double-quoted part kept as written. Call it on a valid name.
    public static func canonical(_ name: String) -> String {
        guard case .success(let parts) = split(name) else { return name }
        return parts.map { $0.hasPrefix("\"") ? $0 : $0.uppercased() }.joined(separator: ".")
    }

    /// Why a name cannot be split into parts.
    struct SplitProblem: Error {
        let message: String
    }

    /// The dot-separated parts of `name`, quoted parts with their quotes (a dot inside quotes does not split).
    static func split(_ name: String) -> Result<[String], SplitProblem> {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var characters = Array(name)[...]
        while let character = characters.popFirst() {
            if let code = character.asciiValue, code < 0x20 || code == 0x7f {
                return .failure(SplitProblem(message: "contains a control character (a newline or tab?)"))
            }
            if quoted {
                current.append(character)
                if character == "\"" {
                    if characters.first == "\"" {
                        current.append(characters.removeFirst())
                    } else {
                        quoted = false
                    }
                }
            } else if character == "." {
                parts.append(current)
                current = ""
            } else {
                if character == "\"" {
                    guard current.isEmpty else {
                        return .failure(SplitProblem(message: "has a quote inside an unquoted part (\(current)\")"))
                    }
                    quoted = true
                }
                current.append(character)
            }
        }
        if quoted { return .failure(SplitProblem(message: "has an unterminated quoted identifier")) }
        parts.append(current)
        return .success(parts)
    }

    private static func problemWithPart(_ part: String) -> String? {
        if part.isEmpty { return "has an empty part (two dots in a row, or a leading or trailing dot)" }
        if part.hasPrefix("\"") {
            let inner = part.dropFirst().dropLast()
            if inner.isEmpty { return "has an empty quoted identifier" }
            if inner.count > maximumLength { return "has a part longer than \(maximumLength) characters" }
            return nil
        }
        if part.count > maximumLength { return "has a part longer than \(maximumLength) characters" }
        let scalars = Array(part.unicodeScalars)
        let first = scalars[0]
        guard first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return "part \(part) must start with a letter or _ (or be double-quoted)"
        }
        for scalar in scalars.dropFirst() {
            let allowed =
                scalar == "_" || scalar == "$"
                || (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)))
            if allowed == false {
                return "part \(part) has \"\(scalar)\": unquoted names hold only letters, digits, _ and $ "
                    + "(double-quote a name with other characters)"
            }
        }
        return nil
    }
}
