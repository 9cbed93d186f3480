/* The benchmark's file writer: creates N files of 100 bytes named f%07d.dat in DIR, each with
 * openat(O_CREAT|O_TRUNC), write, close (directly, or in STAGING and then renamed into DIR), as fast as one
 * writer can (rate 0) or paced at RATE files/s with absolute deadlines. Each file holds one CSV row
 * "<id>,<padding>" so the emulator can load it.
 *
 * usage: creator DIR N direct|rename RATE TIMES_OUT [STAGING]
 * TIMES_OUT receives one line per file: "<index> <CLOCK_REALTIME ns when the file was complete in DIR>".
 * stdout: one JSON object with the first and last completion times and the creator's CPU time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what, const char *path) {
    fprintf(stderr, "creator: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: creator DIR N direct|rename RATE TIMES_OUT [STAGING]\n");
        return 2;
    }
    const char *dir = argv[1];
    long count = atol(argv[2]);
    int rename_in = strcmp(argv[3], "rename") == 0;
    double rate = atof(argv[4]);
    const char *staging = argc > 6 ? argv[6] : NULL;
    if (rename_in && staging == NULL) {
        fprintf(stderr, "creator: rename mode needs a STAGING directory on the same filesystem\n");
        return 2;
    }
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dirfd < 0) die("cannot open", dir);
    int stagefd = rename_in ? open(staging, O_RDONLY | O_DIRECTORY) : -1;
    if (rename_in && stagefd < 0) die("cannot open", staging);
    int64_t *done = calloc((size_t)count, sizeof(int64_t));
    char name[32], body[101];
    int64_t start = now_ns(CLOCK_MONOTONIC);
    for (long i = 0; i < count; i++) {
        if (rate > 0) {
            int64_t due = start + (int64_t)((double)i * 1e9 / rate);
            struct timespec ts = {due / 1000000000LL, due % 1000000000LL};
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
        }
        snprintf(name, sizeof name, "f%07ld.dat", i);
        int length = snprintf(body, sizeof body, "%ld,", i);
        memset(body + length, 'x', 99 - (size_t)length);
        body[99] = '\n';
        int fd = openat(rename_in ? stagefd : dirfd, name, O_CREAT | O_TRUNC | O_WRONLY, 0644);
        if (fd < 0) die("cannot create", name);
        if (write(fd, body, 100) != 100) die("cannot write", name);
        if (close(fd) != 0) die("cannot close", name);
        if (rename_in && renameat(stagefd, name, dirfd, name) != 0) die("cannot rename", name);
        done[i] = now_ns(CLOCK_REALTIME);
    }
    FILE *out = fopen(argv[5], "w");
    if (out == NULL) die("cannot write", argv[5]);
    for (long i = 0; i < count; i++) fprintf(out, "%ld %lld\n", i, (long long)done[i]);
    fclose(out);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("{\"files\": %ld, \"first_ns\": %lld, \"last_ns\": %lld, \"cpu_s\": %.3f}\n", count,
           (long long)done[0], (long long)done[count - 1],
           usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6);
    return 0;
}
