/* The benchmark's ceiling: the least a durable watcher must do. An inotify reader (IN_CLOSE_WRITE,
 * IN_MOVED_TO) that stats each announced file and records it in SQLite (WAL, synchronous=FULL, like the
 * outbox) in batched transactions of up to 1000 rows or 50 ms, whichever comes first. Each row carries the
 * CLOCK_REALTIME time its transaction began (as snowpiped's discovered_at does).
 *
 * usage: probe DIR N DB
 * Prints "ready" once the watch is armed, then runs until N rows are committed or 20 s pass without an event,
 * and prints one JSON object: rows, IN_Q_OVERFLOW count, last commit time, CPU seconds, peak RSS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BATCH 1000
#define LINGER_NS 50000000LL

static int64_t now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void check(int rc, sqlite3 *db, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "probe: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

struct pending { char path[PATH_MAX]; int64_t size, mtime; };

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: probe DIR N DB\n");
        return 2;
    }
    const char *dir = argv[1];
    long expected = atol(argv[2]);
    sqlite3 *db;
    check(sqlite3_open(argv[3], &db), db, "open");
    check(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                           "CREATE TABLE IF NOT EXISTS files (id INTEGER PRIMARY KEY, path TEXT NOT NULL, "
                           "size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, committed_at REAL NOT NULL, "
                           "UNIQUE (path, size, mtime_ns))", NULL, NULL, NULL), db, "schema");
    sqlite3_stmt *insert;
    check(sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO files (path, size, mtime_ns, committed_at) "
                                 "VALUES (?, ?, ?, ?)", -1, &insert, NULL), db, "prepare");
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0 || inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
        perror("probe: inotify");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);

    static struct pending batch[BATCH];
    int buffered = 0;
    long rows = 0, overflows = 0;
    int64_t first_buffered = 0, last_event = now_ns(CLOCK_MONOTONIC), last_commit = 0;
    char buffer[256 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    /* One transaction for everything buffered; rows stamped with the time it began. */
#define FLUSH()                                                                                \
    do {                                                                                       \
        double stamp = (double)now_ns(CLOCK_REALTIME) / 1e9;                                   \
        check(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), db, "begin");             \
        for (int i = 0; i < buffered; i++) {                                                   \
            sqlite3_bind_text(insert, 1, batch[i].path, -1, SQLITE_STATIC);                    \
            sqlite3_bind_int64(insert, 2, batch[i].size);                                      \
            sqlite3_bind_int64(insert, 3, batch[i].mtime);                                     \
            sqlite3_bind_double(insert, 4, stamp);                                             \
            check(sqlite3_step(insert), db, "insert");                                         \
            rows += sqlite3_changes(db);                                                       \
            sqlite3_reset(insert);                                                             \
        }                                                                                      \
        check(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), db, "commit");                     \
        last_commit = now_ns(CLOCK_REALTIME);                                                  \
        buffered = 0;                                                                          \
    } while (0)
    while (rows < expected) {
        int64_t now = now_ns(CLOCK_MONOTONIC);
        int timeout = 1000;
        if (buffered > 0) {
            int64_t left = first_buffered + LINGER_NS - now;
            timeout = left > 0 ? (int)(left / 1000000) + 1 : 0;
        }
        struct pollfd p = {fd, POLLIN, 0};
        int ready = poll(&p, 1, timeout);
        now = now_ns(CLOCK_MONOTONIC);
        if (ready > 0) {
            ssize_t length;
            while ((length = read(fd, buffer, sizeof buffer)) > 0) {
                for (char *at = buffer; at < buffer + length;) {
                    struct inotify_event *event = (struct inotify_event *)at;
                    at += sizeof *event + event->len;
                    if (event->mask & IN_Q_OVERFLOW) { overflows++; continue; }
                    if (event->len == 0) continue;
                    struct pending *slot = &batch[buffered];
                    snprintf(slot->path, sizeof slot->path, "%s/%s", dir, event->name);
                    struct stat st;
                    if (stat(slot->path, &st) != 0) continue;
                    slot->size = st.st_size;
                    slot->mtime = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
                    if (buffered++ == 0) first_buffered = now_ns(CLOCK_MONOTONIC);
                    if (buffered == BATCH) FLUSH();
                }
            }
            last_event = now;
        } else if (buffered == 0 && now - last_event > 20000000000LL) {
            break;
        }
        if (buffered > 0 && now_ns(CLOCK_MONOTONIC) - first_buffered >= LINGER_NS) FLUSH();
    }
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("{\"rows\": %ld, \"overflows\": %ld, \"last_commit_ns\": %lld, \"cpu_s\": %.3f, \"peak_rss_kb\": %ld}\n",
           rows, overflows, (long long)last_commit,
           usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6,
           usage.ru_maxrss);
    sqlite3_close(db);
    return 0;
}
