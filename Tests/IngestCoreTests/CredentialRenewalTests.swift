import IngestCore
import Testing

@Suite("A refused credential is renewed once, then obtained anew once, then the refusal stands")
struct CredentialRenewalTests {
    /// (can start over, refusals in a row, the steps they lead to).
    static let cases: [(Bool, [CredentialRenewal.Refusal], [CredentialRenewal.Step])] = [
        // The streaming client's scoped token and the stage credentials: renew once, then give up.
        (false, [.expired], [.renew]),
        (false, [.expired, .expired], [.renew, .giveUp]),
        (false, [.gone], [.giveUp]),
        // The driver session: 390112 renews; 390112 again or 390114/390104 log in again, once.
        (true, [.expired, .expired, .expired], [.renew, .startOver, .giveUp]),
        (true, [.gone, .gone], [.startOver, .giveUp]),
        (true, [.gone, .expired, .expired], [.startOver, .renew, .giveUp]),
    ]

    @Test(arguments: cases)
    func eachSequenceOfRefusalsLeadsToItsSteps(
        canStartOver: Bool, refusals: [CredentialRenewal.Refusal], steps: [CredentialRenewal.Step]
    ) {
        var renewal = CredentialRenewal(canStartOver: canStartOver)
        #expect(refusals.map { renewal.refused($0) } == steps)
    }
}
