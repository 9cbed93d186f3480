import IngestCore

/// The wake-up signals of one pipe, named for what they announce. Which services signal and wait on which follows
/// from the pipe's mode, decided once here: a signal only saves latency (every service also rechecks the outbox on
/// its own), so a missing one costs a heartbeat, never a file.
struct PipeSignals: Sendable {
    /// How the pipe's files reach Snowflake.
    enum Mode: Sendable, Equatable {
        /// The watched directory is the stage: the batcher takes pending files.
        case local
        /// Files are uploaded first: the uploader takes pending files, the batcher verified uploads.
        case upload
        /// Rows are streamed: the stream sender takes pending files; there is no batcher and no reporter.
        case stream
    }

    /// New pending files (the watcher signals it).
    let pending = WakeSignal()
    /// New verified uploads (the uploader signals it); upload pipes only.
    let staged: WakeSignal?
    /// New submitted files (the batcher signals it, the reporter waits on it); not in stream mode.
    let submitted: WakeSignal?
    /// What the batcher waits on: new files it may submit (`staged` for an upload pipe, `pending` for a local one).
    let filesToSubmit: WakeSignal

    init(mode: Mode) {
        switch mode {
        case .local:
            staged = nil
            submitted = WakeSignal()
            filesToSubmit = pending
        case .upload:
            let staged = WakeSignal()
            self.staged = staged
            submitted = WakeSignal()
            filesToSubmit = staged
        case .stream:
            staged = nil
            submitted = nil
            filesToSubmit = pending
        }
    }
}
