import Foundation
import SnowpipeAPI
import SnowpipeEmulator
import TestSupport
import Testing

@Suite("The streaming client speaks to the service as the official SDK does")
struct StreamingClientFidelityTests {
    func client(_ fixture: EmulatorFixture) -> (StreamingClient, RecordingTransport) {
        let transport = RecordingTransport(EmulatorTransport(fixture.emulator))
        let token: @Sendable () async throws -> String = { fixture.token() }
        let client = StreamingClient(
            account: SnowflakeEndpoint(scheme: "http", host: "127.0.0.1", port: 1), transport: transport,
            jwt: TokenSource(current: token, renew: token), version: "test", now: { fixture.clock.now() })
        return (client, transport)
    }

    @Test func anIngestHostWithAnUnderscoreIsUsedAndScopedWithADash() async throws {
        let fixture = try EmulatorFixture { $0.streamingHostname = "myorg_acct.ingest.local" }
        let (client, transport) = client(fixture)
        let (endpoint, _) = try await client.scopedToken(pipe: "DB.S.JSON_PIPE")
        #expect(endpoint.host == "myorg-acct.ingest.local")
        let exchange = try #require(await transport.requests.first { $0.url.contains("/oauth/token") })
        #expect(String(decoding: exchange.body, as: UTF8.self).hasSuffix("scope=myorg-acct.ingest.local"))
    }

    @Test func theEmulatorRefusesAScopeWithTheUnderscore() async throws {
        let fixture = try EmulatorFixture { $0.streamingHostname = "myorg_acct.ingest.local" }
        #expect(await fixture.exchangeToken(scope: "myorg_acct.ingest.local").status == 400)
        #expect(await fixture.exchangeToken(scope: "myorg-acct.ingest.local").status == 200)
    }

    @Test func anAppendCarriesStartAndEndOffsetTokensAndAChannelKeyedInUpperCaseIsFound() async throws {
        let fixture = try EmulatorFixture {
            $0.ignoresBareOffsetToken = true
            $0.canonicalChannelNames = true
            $0.streamingCommitDelaySeconds = 0
        }
        let (client, transport) = client(fixture)
        let opened = try await client.openChannel(pipe: "DB.S.JSON_PIPE", channel: "lower_case")
        let rows = Array(#"{"ID":1,"PAYLOAD":{}}"#.utf8) + [10] + Array(#"{"ID":2,"PAYLOAD":{}}"#.utf8) + [10]
        _ = try await client.appendRows(
            pipe: "DB.S.JSON_PIPE", channel: "lower_case", continuationToken: opened.nextContinuationToken,
            offsets: .init(first: "a-1", last: "a-2"), rows: rows, encoding: nil)
        let append = try #require(await transport.requests.first { $0.url.contains("/rows") })
        #expect(append.url.contains("startOffsetToken=a-1") && append.url.contains("endOffsetToken=a-2"))
        await fixture.emulator.flushLoads()
        let status = try await client.channelStatus(pipe: "DB.S.JSON_PIPE", channel: "lower_case")
        #expect(status?.lastCommittedOffsetToken == "a-2", "\(String(describing: status))")
    }
}
