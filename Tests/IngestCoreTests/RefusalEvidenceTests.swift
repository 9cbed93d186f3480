import IngestCore
import Testing

@Suite("A 400 from insertFiles ends a file only on evidence against it")
struct RefusalEvidenceTests {
    /// One step of a pipe's history: a 400 for a batch of `files`, or an accepted insertFiles (`files` nil).
    struct Step: Sendable, CustomStringConvertible {
        var at: Double
        var refusedFiles: Int?
        var expected: RefusalEvidence.Verdict?
        var description: String { refusedFiles.map { "t\(at): 400 for \($0)" } ?? "t\(at): accepted" }

        static func refused(_ files: Int, at: Double, _ verdict: RefusalEvidence.Verdict) -> Step {
            Step(at: at, refusedFiles: files, expected: verdict)
        }
        static func accepted(at: Double) -> Step { Step(at: at, refusedFiles: nil, expected: nil) }
    }

    static let histories: [(String, [Step])] = [
        (
            "a bad file in the second half: the first half is accepted, the file is refused",
            [
                .refused(4, at: 0, .split), .accepted(at: 1), .refused(2, at: 2, .split),
                .refused(1, at: 3, .fileRefused),
            ]
        ),
        (
            "a pipe refusing everything: split down to one file, then the pipe is at fault, and stays so",
            [
                .refused(4, at: 0, .split), .refused(2, at: 1, .split), .refused(1, at: 2, .pipeRefused),
                .refused(1, at: 3, .pipeRefused), .refused(4, at: 4, .pipeRefused),
            ]
        ),
        (
            "a bad file first: the pipe is suspected until a probe with another batch is accepted",
            [
                .refused(2, at: 0, .split), .refused(1, at: 1, .pipeRefused), .accepted(at: 2),
                .refused(1, at: 3, .fileRefused),
            ]
        ),
        (
            "a one-file batch refused with no search open: the pipe, never the file",
            [.accepted(at: 0), .refused(1, at: 1, .pipeRefused)]
        ),
        (
            "an acceptance during a search older than the window is no evidence",
            [.refused(2, at: 0, .split), .accepted(at: 1), .refused(1, at: 700, .pipeRefused)]
        ),
        (
            "a pipe that recovers: the next 400 on several files splits again",
            [.refused(1, at: 0, .pipeRefused), .accepted(at: 5), .refused(3, at: 6, .split)]
        ),
    ]

    @Test(arguments: histories)
    func eachHistoryEndsInItsVerdicts(name: String, steps: [Step]) {
        var evidence = RefusalEvidence(window: 600)
        for step in steps {
            if let files = step.refusedFiles {
                #expect(evidence.refused(files: files, now: step.at) == step.expected, "\(name): \(step)")
            } else {
                evidence.accepted(now: step.at)
            }
        }
    }

    @Test func thePipeBackoffPausesOnAPipeRefusalAndRejectsOnlyWithEvidence() {
        var pipe = PipeBackoff(policy: RetryPolicy(base: .seconds(1), cap: .seconds(60)))
        let refused = AttemptOutcome.status(400, retryAfter: nil)
        #expect(pipe.record(refused, files: 2, now: 0, random: 0.5) == .splitBatch)
        #expect(pipe.record(refused, files: 1, now: 1, random: 0.5) == .pipeRefused(until: 1.5))
        #expect(pipe.refusals.pipeSuspected)
        // A report call's success is no evidence that insertFiles takes files.
        #expect(pipe.record(.success, now: 2, random: 0.5) == .done)
        #expect(pipe.refusals.pipeSuspected)
        #expect(pipe.record(refused, files: 1, now: 3, random: 0.5) == .pipeRefused(until: 3.5))
        // Another batch accepted: the pipe works, so the next one-file 400 is the file's.
        #expect(pipe.record(.success, files: 7, now: 4, random: 0.5) == .done)
        #expect(pipe.refusals.pipeSuspected == false)
        #expect(pipe.record(refused, files: 1, now: 5, random: 0.5) == .rejectFile)
    }
}
