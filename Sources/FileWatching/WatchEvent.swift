/// What the inotify reader saw, already mapped to paths.
public enum WatchEvent: Sendable, Equatable {
    /// A file opened for writing was closed (`IN_CLOSE_WRITE`): it is complete.
    case fileClosed(String)
    /// A file was renamed into a watched directory (`IN_MOVED_TO`): it is complete.
    case fileMovedIn(String)
    /// A directory appeared (created or moved in) and is now watched; scan it for files that arrived before.
    case directoryAdded(String)
    /// The kernel queue overflowed (`IN_Q_OVERFLOW`): events were lost; rescan everything.
    case overflow
    /// A watched root was deleted, moved away or unmounted; it must be re-armed when it comes back.
    case rootLost(String)
    /// A watch could not be added because of `fs.inotify.max_user_watches` (ENOSPC); scan instead.
    case watchLimitReached(String)
    /// A watch could not be added for another reason (errno text).
    case watchFailed(String, String)
}
