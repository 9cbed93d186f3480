/// A pipe's execution state, as `SYSTEM$PIPE_STATUS` reports it, settable through the admin API
/// (`PUT /admin/pipes/{PIPE}/state`). Only the states that change how the REST endpoints answer are modelled.
public enum PipeExecutionState: String, Codable, Sendable, CaseIterable {
    /// Takes files and loads them.
    case running = "RUNNING"
    /// A pipe cloned from another, or whose table was cloned: it stays stopped until it is resumed. Snowflake's
    /// REST pages list 400 for such a pipe on `insertFiles`, `insertReport` and `loadHistoryScan` alike
    /// (`reference/protocol-notes.md` §4.2, "400: ... or a pipe in STOPPED_CLONED"; `fidelity-facts.md`,
    /// "insertFiles 400s that are not about a file"). The answer names no file, which is why the daemon must not
    /// take it for a verdict on one.
    case stoppedCloned = "STOPPED_CLONED"

    /// The answer every REST endpoint gives while the pipe is in this state, nil when it answers normally.
    func refusal(pipe: String) -> EmulatorResponse? {
        switch self {
        case .running: return nil
        case .stoppedCloned:
            return .snowflakeError(
                400, code: VendorCode.invalidRequest,
                message: "Pipe \(pipe) is in execution state STOPPED_CLONED and cannot be used; resume it with "
                    + "ALTER PIPE \(pipe) SET PIPE_EXECUTION_PAUSED = false or SYSTEM$PIPE_FORCE_RESUME.")
        }
    }
}
