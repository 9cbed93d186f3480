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

@Suite("A pipe name as Snowflake stores it")
struct CanonicalIdentifierTests {
    static let cases: [(String, String)] = [
        ("mydb.public.orders_pipe", "MYDB.PUBLIC.ORDERS_PIPE"),
        ("MyDb.Public.Orders$1", "MYDB.PUBLIC.ORDERS$1"),
        (#"mydb."My Schema".pipe"#, #"MYDB."My Schema".PIPE"#),
        (#""a.b"."c""d".e"#, #""a.b"."c""d".E"#),
        ("DB.S.P", "DB.S.P"),
    ]

    @Test(arguments: cases)
    func unquotedPartsAreUpperCasedAndQuotedOnesKept(written: String, stored: String) {
        #expect(SnowflakeIdentifier.canonical(written) == stored)
    }
}
