"""How the benchmarks measure a process and wait for things: CPU seconds and memory from /proc, dropped caches,
following a child until a condition, percentiles, the systemd notify socket a daemon reports READY on, the metrics
scraper, and the outbox's size. Shared by `run.py`, `stream.py` and `upload.py`."""
import os
import socket
import sqlite3
import subprocess
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------- processes


def cpu_seconds(pid):
    """User + system CPU of a live process (all threads), from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def memory_kb(pid, field):
    """VmRSS (current) or VmHWM (peak) of a live process, in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def drop_caches():
    """The method's control for hazard H1 (long inode/dentry hash chains after earlier runs)."""
    subprocess.run(["sync"], check=True)
    try:
        with open("/proc/sys/vm/drop_caches", "w") as control:
            control.write("3\n")
    except OSError as error:
        print(f"  (cannot drop caches: {error}; figures may be slower than the method's)", file=sys.stderr)
    time.sleep(1)


def follow(process, what, timeout, interval=0.05):
    """Waits for a measured child process to exit, sampling its CPU seconds and peak RSS (KiB) while it runs;
    returns (cpu, peak). Raises when it outlives `timeout` (it is killed) or exits non-zero."""
    peak, cpu = 0, 0.0
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        try:
            peak = max(peak, memory_kb(process.pid, "VmHWM"))
            cpu = cpu_seconds(process.pid)
        except (FileNotFoundError, ProcessLookupError):
            break
        if time.monotonic() > deadline:
            process.kill()
            raise TimeoutError(f"{what} did not finish in {timeout} s")
        time.sleep(interval)
    if process.wait() != 0:
        raise RuntimeError(f"{what} failed (exit status {process.returncode})")
    return cpu, peak


def wait_for(what, condition, timeout, interval=0.05):
    """Polls `condition` until it returns a truthy value; raises after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return None
    index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


class NotifySocket:
    """A sd_notify datagram socket, to time READY exactly as systemd sees it."""

    def __init__(self, path):
        self.path = path
        if os.path.exists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.setblocking(False)
        self.messages = []

    def poll(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except BlockingIOError:
                return self.messages
            self.messages.append((time.time(), data.decode(errors="replace")))

    def ready_at(self):
        return next((at for at, text in self.poll() if "READY=1" in text.split("\n")), None)


# ---------------------------------------------------------------------------------------------- the bench


class Scraper:
    """Scrapes the daemon's metrics endpoint (its port read from the daemon's log) once a second, on a thread,
    as a Prometheus would (a harsher interval than the usual 15-30 s)."""

    def __init__(self, log_path):
        import threading
        import urllib.request
        self.count = 0
        self.failures = 0
        self.done = threading.Event()
        marker = "serving Prometheus metrics on http://127.0.0.1:"
        port = wait_for("the metrics endpoint", lambda: next(
            (int(line.split(marker)[1].split("/")[0]) for line in open(log_path) if marker in line), None), 30)

        def scrape():
            while not self.done.wait(1.0):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
                    self.count += 1
                except OSError:
                    self.failures += 1
        self.thread = threading.Thread(target=scrape, daemon=True)
        self.thread.start()

    def stop(self):
        self.done.set()
        self.thread.join()
        return {"count": self.count, "failures": self.failures}


def outbox_bytes(state_dir):
    return sum(os.path.getsize(os.path.join(state_dir, name)) for name in os.listdir(state_dir)
               if name.startswith("outbox.sqlite"))


def fill_finished_rows(path, pipe, directory, prefix, count):
    """Writes `count` LOADED rows shaped like the daemon's own (a 5000-file batch each 5000 rows)."""
    now = time.time()
    with sqlite3.connect(path) as db:
        db.execute("BEGIN")
        for batch in range(0, count, 5000):
            request = f"bench-{batch:09d}-0000-0000-000000000000"
            db.execute("INSERT INTO batches (pipe, request_id, created_at, attempts, sent_at) VALUES (?, ?, ?, 1, ?)",
                       (pipe, request, now - 3600, now - 3600))
            batch_id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
            db.executemany(
                "INSERT INTO files (pipe, local_path, stage_path, size, mtime_ns, state, discovered_at, batch_id,"
                " submitted_at, finished_at, rows_inserted, rows_parsed, errors_seen, request_id)"
                " VALUES (?, ?, ?, 100, ?, 'LOADED', ?, ?, ?, ?, 1, 1, 0, ?)",
                [(pipe, f"{directory}/f{index:07d}.dat", f"{prefix}f{index:07d}.dat",
                  int((now - 3600) * 1e9) + index, now - 3600, batch_id, now - 3599, now - 3590, request)
                 for index in range(batch, min(batch + 5000, count))])
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
