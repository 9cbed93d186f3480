import IngestCore
import Testing

@Suite("Pipe names are valid Snowflake identifiers before anything goes online")
struct SnowflakeIdentifierTests {
    @Test(arguments: ["DB.S.P", "db.s.p", "_D1.S$2.P_3", "DB.S.\"My Pipe\"", "\"a.b\".S.P", "DB.S.\"say \"\"hi\"\"\""])
    func validNamesPass(name: String) {
        #expect(SnowflakeIdentifier.problemWithQualifiedName(name) == nil)
    }

    @Test(arguments: [
        ("DB.S.P?x=1", "unquoted names hold only"),
        ("DB.S.../admin", "empty part"),
        ("DB.S.my pipe", "unquoted names hold only"),
        ("DB.S.P\nX", "control character"),
        ("DB.S", "fully qualified"),
        ("DB.S.P.Q", "fully qualified"),
        ("DB.S.\"open", "unterminated"),
        ("DB.S.1P", "must start with a letter"),
        ("DB.S.\"\"", "empty quoted"),
        ("DB.S.ab\"c\"", "quote inside an unquoted part"),
    ])
    func invalidNamesSayWhy(name: String, expected: String) {
        let problem = SnowflakeIdentifier.problemWithQualifiedName(name)
        #expect(problem?.contains(expected) == true, "\(problem ?? "nil")")
    }
}
