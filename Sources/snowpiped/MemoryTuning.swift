import CMalloc

/// glibc malloc settings for a long-running daemon with a dozen threads. By default glibc gives busy threads
/// their own arenas (up to 8 per core) and raises its mmap threshold after a large block is freed, so the
/// multi-megabyte buffers of a burst (insertReport answers, 5000-file batches) end up in arenas that keep their
/// pages. Measured on the 100k-file burst (`make bench`): peak RSS 136 MB with the defaults, 77 MB with these.
enum MemoryTuning {
    static func apply() {
        _ = mallopt(snowpiped_m_arena_max, 2)
        // Fixed thresholds (setting them turns off the dynamic adjustment): blocks of 128 KiB and more are
        // mmapped and returned to the system when freed, and free heap tops over 128 KiB are trimmed.
        _ = mallopt(snowpiped_m_mmap_threshold, 128 * 1024)
        _ = mallopt(snowpiped_m_trim_threshold, 128 * 1024)
    }
}
