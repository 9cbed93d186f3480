import Testing

@testable import SnowpipeDaemon

@Suite("metrics.listen is HOST:PORT, refused with an example otherwise")
struct MetricsSettingsTests {
    @Test(arguments: [
        ("127.0.0.1:9465", "127.0.0.1", 9465),
        ("0.0.0.0:9465", "0.0.0.0", 9465),
        ("localhost:0", "localhost", 0),
        ("[::1]:9465", "::1", 9465),
    ])
    func accepted(listen: String, host: String, port: Int) throws {
        let settings = try #require(MetricsSettings(listen: listen))
        #expect(settings.host == host && settings.port == port)
        #expect(settings.listen == listen)
    }

    @Test(arguments: ["9465", "127.0.0.1", ":9465", "127.0.0.1:99999", "127.0.0.1:x", "[::1]9465", "[::1]"])
    func refused(listen: String) {
        #expect(MetricsSettings(listen: listen) == nil)
    }

    @Test func theConfigurationNamesTheKeyAndGivesAnExample() {
        let base = """
            snowflake: {account: a, user: u, private_key_file: /k}
            watch: [{directory: /d, pipe: DB.S.P}]

            """
        for (section, expected) in [
            ("metrics: {}", "metrics.listen"), ("metrics: {listen: nowhere}", "nowhere is not HOST:PORT"),
            ("metrics: {listen: 127.0.0.1:9465, port: 1}", "port"),
        ] {
            #expect(throws: (any Error).self) { try ConfigurationLoader.parse(base + section, file: "t.yaml") }
            do {
                _ = try ConfigurationLoader.parse(base + section, file: "t.yaml")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
        let good = try? ConfigurationLoader.parse(base + "metrics: {listen: 127.0.0.1:9465}", file: "t.yaml")
        #expect(good?.metrics == MetricsSettings(listen: "127.0.0.1:9465"))
        let off = try? ConfigurationLoader.parse(base, file: "t.yaml")
        #expect(off != nil && off?.metrics == nil)
    }
}
