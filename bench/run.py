#!/usr/bin/env python3
"""`make bench`: how fast and light snowpiped is, against the machine's ceiling (the C probe) and the
alternative a Python user would write (watchdog + snowflake-ingest), all measured in the same run on loopback
against the bundled emulator. Method: ../shared/reference/benchmark-method.md (fresh directories, dropped
caches before each file-creating run, no deletes in the minute before a run, every measured process under
`nice -n -20`). Prints a table, writes bench/results.json and BENCHMARKS.md.

usage: bench/run.py --bin DIR --tools DIR [--work DIR] [--files N] [--quick]
"""
import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BenchBase  # noqa: E402
from measure import (NotifySocket, Scraper, cpu_seconds, drop_caches, fill_finished_rows,  # noqa: E402
                     memory_kb, outbox_bytes, percentile, wait_for)
from replay import replay  # noqa: E402
from report import machine, summarize, table, write_report  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY_PIPE = "BENCH.PUBLIC.PY_PIPE"
# Each scenario has its own pipe, as a production loader would: another scenario's loads never share its
# insertReport event ring or its loadHistoryScan budget.
SCENARIO_PIPES = {name: f"BENCH.PUBLIC.{name.upper().replace('-', '_')}_PIPE"
                  for name in ("burst-direct", "burst-rename", "backlog", "latency", "paced", "footprint")}


class Bench(BenchBase):
    def __init__(self, args):
        super().__init__(args.bin, args.work)
        self.tools = args.tools
        self.files = args.files
        self.quick = args.quick
        self.perf = args.perf
        self.stage = os.path.join(self.work, "stage")

    # -- setup

    def setup(self):
        leftovers = self.fresh_work(announce=True)
        os.makedirs(self.stage)
        os.makedirs(os.path.join(self.work, "staging"))
        pipe = {
            "stageDirectory": self.stage, "stageLocation": "s3://bench/", "table": "BENCH.PUBLIC.T",
            "columns": [{"name": "ID", "type": "NUMBER"}, {"name": "PAYLOAD", "type": "VARCHAR"}],
            "format": {"type": "CSV"}, "onError": "SKIP_FILE",
        }
        config = {
            "account": "BENCH-ACCOUNT",
            "users": [self.bench_user([PY_PIPE, *SCENARIO_PIPES.values()])],
            "pipes": [dict(pipe, name=PY_PIPE, table="BENCH.PUBLIC.PY_T"),
                      *(dict(pipe, name=name) for name in SCENARIO_PIPES.values())],
            "loadDelaySeconds": 0,
        }
        self.start_emulator(config)
        if leftovers:
            # Hazard H2: ext4 rescans recently deleted inodes for 60 s (longer while their block is dirty).
            print("waiting 60 s after the deletes (hazard H2) ...", flush=True)
            time.sleep(60)

    def median_of(self, runs, key, scenario, label):
        """Runs a burst `runs` times (the machine varies a lot from run to run); keeps every run and reports the
        median one, by `key`, under `label`."""
        for run in range(1, runs + 1):
            self.wait_emulator_idle()
            scenario(run)
        results = sorted(self.results[label + "_runs"], key=lambda result: result[key])
        median = dict(results[len(results) // 2])
        median["runs"] = [round(result[key]) for result in self.results[label + "_runs"]]
        self.results[label] = median
        return median

    def wait_emulator_idle(self):
        """Lets the emulator finish loading the previous scenario's files, so it does not compete for CPU."""
        def idle():
            stats = self.stats()
            return stats["filesQueued"] <= sum(stats["filesByStatus"].values())
        wait_for("the emulator to finish loading", idle, 300, interval=0.2)

    def tool(self, name):
        return os.path.join(self.tools, name)

    def stats(self):
        with urllib.request.urlopen(self.url + "/admin/stats") as response:
            return json.load(response)

    def received(self, pipe):
        with urllib.request.urlopen(self.url + "/admin/received?pipe=" + urllib.parse.quote(pipe)) as response:
            return json.load(response)

    # -- the daemon

    def daemon_config(self, name, watch_dir, state_dir, prefix, pipe_key=None, metrics=False):
        path = os.path.join(self.work, name + ".yaml")
        with open(path, "w") as config:
            config.write(self.snowflake_yaml(state_dir) + f"""watch:
  - directory: {watch_dir}
    pipe: {SCENARIO_PIPES[pipe_key or name]}
    stage_prefix: "{prefix}"
    # The creator writes each file once and closes it: no quiet period, so a file is taken at its close as
    # the probe and the Python alternative take it (the default 5 s would only add a constant to latency).
    settle_seconds: 0
""" + ("metrics:\n  listen: 127.0.0.1:0\n" if metrics else ""))
        return path

    def prepare_daemon(self, name, pipe_key=None, metrics=False):
        """A new watched directory, a state directory and a configuration for one daemon scenario."""
        directory = self.fresh_dir(name)
        state = os.path.join(self.work, "state-" + name)
        return directory, state, self.daemon_config(name, directory, state, name + "/", pipe_key, metrics)

    def start_ready_daemon(self, config, name, timeout=60):
        """Drops the caches (the method, before a file-creating run), starts the daemon, waits for READY."""
        drop_caches()
        process, notify, _ = self.start_daemon(config, name)
        wait_for("READY", notify.ready_at, timeout)
        return process

    def wait_submitted(self, state, count, timeout):
        """Waits until `count` rows are submitted; returns the outbox counts (see `outbox_counts`)."""
        return wait_for("every file submitted",
                        lambda: (c := self.outbox_counts(state))[2] >= count and c, timeout, interval=0.1)

    def start_daemon(self, config, name):
        notify = NotifySocket(os.path.join(self.work, name + ".notify"))
        log = open(os.path.join(self.work, name + ".log"), "a")
        environment = dict(os.environ, NOTIFY_SOCKET=notify.path)
        started = time.time()
        process = subprocess.Popen(
            ["nice", "-n", "-20", self.exe("snowpiped"), "run", "--config", config, "--log-target", "stderr"],
            stdout=log, stderr=log, env=environment)
        self.children.append(process)
        return process, notify, started

    def stop_daemon(self, process):
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=60)

    def run_creator(self, directory, count, mode="direct", rate=0):
        times = os.path.join(self.work, f"times-{os.path.basename(directory)}.txt")
        command = ["nice", "-n", "-20", self.tool("creator"), directory, str(count), mode, str(rate), times]
        if mode == "rename":
            staging = os.path.join(self.work, "staging", os.path.basename(directory))
            os.makedirs(staging)
            command.append(staging)
        summary = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        created = {}
        with open(times) as lines:
            for line in lines:
                index, at = line.split()
                created[int(index)] = int(at) / 1e9
        summary["created"] = created
        return summary

    @staticmethod
    def outbox_counts(state_dir):
        path = os.path.join(state_dir, "outbox.sqlite")
        if not os.path.exists(path):
            return (0, None, 0, None)
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
                return db.execute(
                    "SELECT COUNT(*), MAX(discovered_at), COUNT(submitted_at), MAX(submitted_at) FROM files"
                ).fetchone()
        except sqlite3.OperationalError:
            return (0, None, 0, None)  # the daemon has not created the schema yet

    @staticmethod
    def finished_count(state_dir):
        """How many rows have a final status."""
        path = os.path.join(state_dir, "outbox.sqlite")
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(finished_at) FROM files").fetchone()[0]

    @staticmethod
    def outbox_rows(state_dir):
        path = os.path.join(state_dir, "outbox.sqlite")
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return db.execute("SELECT local_path, discovered_at, submitted_at, finished_at, state FROM files"
                              ).fetchall()

    # -- scenarios

    def burst_probe(self, run=1):
        name = f"probe-burst-{run}"
        directory = self.fresh_dir(name)
        drop_caches()
        probe = subprocess.Popen(["nice", "-n", "-20", self.tool("probe"), directory, str(self.files),
                                  os.path.join(self.work, name + ".sqlite")],
                                 stdout=subprocess.PIPE, text=True)
        assert probe.stdout.readline().strip() == "ready"
        creator = self.run_creator(directory, self.files)
        summary = json.loads(probe.stdout.readline())
        probe.wait()
        elapsed = summary["last_commit_ns"] / 1e9 - creator["first_ns"] / 1e9
        result = {
            "files": self.files, "committed": summary["rows"], "lost": self.files - summary["rows"],
            "overflows": summary["overflows"], "committed_per_s": summary["rows"] / elapsed,
            "creator_per_s": self.files / ((creator["last_ns"] - creator["first_ns"]) / 1e9),
            "cpu_s_per_100k": summary["cpu_s"] * 100_000 / self.files,
            "cpu_us_per_file": summary["cpu_s"] * 1e6 / self.files, "peak_rss_mb": summary["peak_rss_kb"] / 1024,
        }
        self.results.setdefault("probe_burst_runs", []).append(result)
        return result

    def burst_daemon(self, mode, run=1, metrics=False):
        """A burst of `self.files` files; with `metrics`, the endpoint on and scraped every second meanwhile."""
        label = mode + ("-metrics" if metrics else "")
        name = f"burst-{label}-{run}"
        directory, state, config = self.prepare_daemon(name, pipe_key=f"burst-{mode}", metrics=metrics)
        calls_before = self.stats()["insertFilesCalls"]
        process = self.start_ready_daemon(config, name)
        scraper = Scraper(os.path.join(self.work, name + ".log")) if metrics else None
        cpu_before = cpu_seconds(process.pid)
        profiler = self.profile(process.pid, name)
        emulator_profiler = self.profile(self.emulator.pid, name + "-emulator")
        creator = self.run_creator(directory, self.files, mode)
        first = creator["first_ns"] / 1e9
        done = self.wait_submitted(state, self.files, 300)
        cpu = cpu_seconds(process.pid) - cpu_before
        peak = memory_kb(process.pid, "VmHWM")
        scrapes = scraper.stop() if scraper else None
        for running in (profiler, emulator_profiler):
            if running:
                running.send_signal(signal.SIGINT)
                running.wait()
        calls = self.stats()["insertFilesCalls"] - calls_before
        self.stop_daemon(process)
        rows = self.outbox_rows(state)
        names = {os.path.basename(row[0]) for row in rows}
        lost = sum(1 for index in range(self.files) if f"f{index:07d}.dat" not in names)
        overflows = open(os.path.join(self.work, name + ".log")).read().count("inotify queue overflowed")
        result = {
            "files": self.files, "mode": mode, "committed": done[0], "submitted": done[2], "lost": lost,
            "duplicates": len(rows) - len(names), "overflows": overflows,
            "committed_per_s": self.files / (done[1] - first), "submitted_per_s": self.files / (done[3] - first),
            "creator_per_s": self.files / ((creator["last_ns"] - creator["first_ns"]) / 1e9),
            "insert_files_calls": calls, "cpu_s_per_100k": cpu * 100_000 / self.files,
            "cpu_us_per_file": cpu * 1e6 / self.files, "peak_rss_mb": peak / 1024,
            "outbox_bytes_per_file": outbox_bytes(state) / self.files,
        }
        if scrapes is not None:
            result["scrapes"] = scrapes
        self.results.setdefault(f"daemon_burst_{label.replace('-', '_')}_runs", []).append(result)
        if mode == "rename":
            self.results["daemon_burst_rename"] = result
        return result

    def backlog(self):
        name = "backlog"
        directory, state, config = self.prepare_daemon(name)
        creator = self.run_creator(directory, self.files)
        # The files wait while the daemon is down; start once they are older than 5 s (the default settle_seconds:
        # the bench sets 0, so this only keeps the method of the first results).
        settle_until = creator["last_ns"] / 1e9 + 5.5
        time.sleep(max(0, settle_until - time.time()))
        drop_caches()
        process, notify, started = self.start_daemon(config, name)
        profiler = self.profile(process.pid, name)
        ready = wait_for("READY", notify.ready_at, 300)
        done = self.wait_submitted(state, self.files, 300)
        cpu = cpu_seconds(process.pid)
        # Since READY comes before the scan ends, reports are handled while files are still being submitted:
        # the CPU up to "all submitted" then holds work that used to come after it. The CPU until every file
        # has its final status is the figure that compares across versions.
        wait_for("every file finished", lambda: self.finished_count(state) >= self.files, 300, interval=0.2)
        finished = time.time()
        if profiler:
            profiler.send_signal(signal.SIGINT)
            profiler.wait()
        cpu_finished = cpu_seconds(process.pid)
        peak = memory_kb(process.pid, "VmHWM")
        self.stop_daemon(process)
        result = {
            "files": self.files, "start_to_ready_s": ready - started, "start_to_submitted_s": done[3] - started,
            "submitted_per_s": self.files / (done[3] - started), "cpu_s": cpu, "start_to_finished_s":
            finished - started, "cpu_s_to_finished": cpu_finished, "peak_rss_mb": peak / 1024,
        }
        self.results["backlog"] = result
        return result

    def latency(self):
        """Files one at a time at a steady low rate; the probe watches the same directory at the same time."""
        name = "latency"
        rate, count = 20, (200 if self.quick else 600)
        directory, state, config = self.prepare_daemon(name)
        process = self.start_ready_daemon(config, name)
        probe_db = os.path.join(self.work, "probe-latency.sqlite")
        probe = subprocess.Popen(["nice", "-n", "-20", self.tool("probe"), directory, str(count), probe_db],
                                 stdout=subprocess.PIPE, text=True)
        assert probe.stdout.readline().strip() == "ready"
        creator = self.run_creator(directory, count, rate=rate)
        probe.stdout.readline()
        probe.wait()
        # The reporter polls insertReport every poll_seconds (10 s by default) while files are outstanding.
        wait_for("every file LOADED", lambda: sum(1 for row in self.outbox_rows(state) if row[4] == "LOADED")
                 >= count, 120, interval=0.2)
        rows = self.outbox_rows(state)
        self.stop_daemon(process)
        created = creator["created"]

        def index(path):
            return int(os.path.basename(path)[1:8])

        commit = [(row[1] - created[index(row[0])]) * 1000 for row in rows]
        submit = [(row[2] - created[index(row[0])]) * 1000 for row in rows]
        loaded = [(row[3] - created[index(row[0])]) * 1000 for row in rows]
        with sqlite3.connect(probe_db) as db:
            probe_commit = [(at - created[index(path)]) * 1000
                            for path, at in db.execute("SELECT path, committed_at FROM files")]
        result = {"files": count, "rate_per_s": rate, "linger_ms": 200, "poll_seconds": 10}
        for label, values in [("commit", commit), ("insert_files", submit), ("loaded", loaded),
                              ("probe_commit", probe_commit)]:
            result[f"{label}_p50_ms"] = percentile(values, 0.50)
            result[f"{label}_p99_ms"] = percentile(values, 0.99)
        self.results["latency"] = result
        return result

    def python(self, label, rate):
        """The Python alternative on the same burst (rate 0) or paced."""
        name = f"python-{label}"
        count = self.files if rate == 0 else rate * (5 if self.quick else 10)
        directory = self.fresh_dir(name)
        received_before = len(self.received(PY_PIPE))
        drop_caches()
        process = subprocess.Popen(
            ["nice", "-n", "-20", os.path.join(ROOT, ".venv/bin/python"), os.path.join(ROOT, "bench/python_baseline.py"),
             directory, name + "/", PY_PIPE, self.key, str(self.port)],
            stdout=subprocess.PIPE, stderr=open(os.path.join(self.work, name + ".log"), "w"), text=True)
        self.children.append(process)
        assert process.stdout.readline().strip() == "ready"
        cpu_before = cpu_seconds(process.pid)
        creator = self.run_creator(directory, count, rate=rate)
        # Done when every file arrived or nothing more arrived for 5 s after the creator finished.
        last = {"count": -1, "since": time.monotonic()}

        def settled():
            current = len(self.received(PY_PIPE)) - received_before
            if current != last["count"]:
                last.update(count=current, since=time.monotonic())
            return current >= count or time.monotonic() - last["since"] > 5

        wait_for("the Python loader to finish", settled, 600, interval=0.2)
        cpu = cpu_seconds(process.pid) - cpu_before
        peak = memory_kb(process.pid, "VmHWM")
        process.send_signal(signal.SIGTERM)
        calls = [json.loads(line) for line in process.stdout.read().splitlines() if line.startswith("{")]
        process.wait(timeout=30)
        delivered = len(self.received(PY_PIPE)) - received_before
        last_call = max((call["t"] for call in calls), default=None)
        first = creator["first_ns"] / 1e9
        result = {
            "files": count, "rate_per_s": rate or None, "delivered": delivered, "lost": count - delivered,
            "lost_pct": 100 * (count - delivered) / count,
            "delivered_per_s": delivered / (last_call - first) if last_call else 0,
            "insert_files_calls": len(calls), "cpu_s": cpu, "cpu_us_per_file": cpu * 1e6 / max(delivered, 1),
            "peak_rss_mb": peak / 1024,
        }
        self.results[f"python_{label}"] = result
        return result

    def paced_daemon(self, rate):
        """snowpiped at the Python baseline's paced rate, for the CPU and RSS ratios."""
        name = "paced"
        count = rate * (5 if self.quick else 10)
        directory, state, config = self.prepare_daemon(name)
        process = self.start_ready_daemon(config, name)
        cpu_before = cpu_seconds(process.pid)
        creator = self.run_creator(directory, count, rate=rate)
        done = self.wait_submitted(state, count, 120)
        cpu = cpu_seconds(process.pid) - cpu_before
        peak = memory_kb(process.pid, "VmHWM")
        self.stop_daemon(process)
        result = {
            "files": count, "rate_per_s": rate, "delivered": done[2], "lost": count - done[2],
            "delivered_per_s": count / (done[3] - creator["first_ns"] / 1e9), "cpu_s": cpu,
            "cpu_us_per_file": cpu * 1e6 / count, "peak_rss_mb": peak / 1024,
        }
        self.results["daemon_paced"] = result
        return result

    def footprint(self):
        """Idle for a minute with 1,000,000 finished rows; then `snowpiped status` on them."""
        name = "footprint"
        rows = 200_000 if self.quick else 1_000_000
        directory, state, config = self.prepare_daemon(name)
        process, notify, _ = self.start_daemon(config, name)
        wait_for("READY", notify.ready_at, 60)
        self.stop_daemon(process)
        fill_finished_rows(os.path.join(state, "outbox.sqlite"), SCENARIO_PIPES[name], directory, name + "/", rows)
        process, notify, _ = self.start_daemon(config, name)
        wait_for("READY", notify.ready_at, 120)
        time.sleep(2)  # let start-up work (recovery queries, first heartbeat) finish before the idle window
        requests_before = self.stats()["apiRequests"]
        cpu_before = cpu_seconds(process.pid)
        window = 15 if self.quick else 60
        time.sleep(window)  # the idle window itself is what is measured
        cpu = cpu_seconds(process.pid) - cpu_before
        rss = memory_kb(process.pid, "VmRSS")
        peak = memory_kb(process.pid, "VmHWM")
        requests = self.stats()["apiRequests"] - requests_before
        self.stop_daemon(process)
        timings = []
        for _ in range(3):
            started = time.monotonic()
            subprocess.run([self.exe("snowpiped"), "status", "--config", config], check=True,
                           stdout=subprocess.DEVNULL)
            timings.append(time.monotonic() - started)
        one = os.path.join(directory, f"f{rows // 2:07d}.dat")
        started = time.monotonic()
        subprocess.run([self.exe("snowpiped"), "status", "--config", config, one], check=True,
                       stdout=subprocess.DEVNULL)
        one_file = time.monotonic() - started
        result = {
            "rows": rows, "idle_seconds": window, "idle_cpu_pct": 100 * cpu / window, "idle_rss_mb": rss / 1024,
            "peak_rss_mb": peak / 1024, "idle_http_requests": requests,
            "outbox_bytes_per_file": outbox_bytes(state) / rows,
            "status_s": statistics.median(timings), "status_one_file_s": one_file,
        }
        self.results["footprint"] = result
        return result

    def profile(self, pid, name):
        """With --perf: `perf record -g` on the daemon for the scenario (the figures then include its cost)."""
        if not self.perf:
            return None
        output = os.path.join(self.work, name + ".perf.data")
        profiler = subprocess.Popen(["perf", "record", "-g", "-F", "999", "-p", str(pid), "-o", output],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # perf attaches asynchronously
        print(f"   profiling into {output}", flush=True)
        return profiler

    def callgrind_replay(self):
        """Instructions per file of the daemon's work (bench/replay.py): 20,000 files, 2,000 with --quick."""
        files = 2000 if self.quick else 20_000
        result = replay(self.exe("snowpiped-replay"), os.path.join(self.work, "replay"), files)
        self.results["callgrind_replay"] = result
        return {k: v for k, v in result.items() if k != "top_functions"}

    def fresh_dir(self, name):
        path = os.path.join(self.stage, name)
        os.makedirs(path)
        return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", help="directory of the release snowpiped and snowpipe-emulator")
    parser.add_argument("--tools", help="directory of the compiled creator and probe")
    parser.add_argument("--work", default="/var/tmp/snowpiped-bench", help="scratch directory (same filesystem)")
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="shorter windows, for trying the harness")
    parser.add_argument("--perf", action="store_true", help="record a perf profile of the daemon's bursts")
    parser.add_argument("--only", nargs="*", help="scenarios to run (default: all)")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite BENCHMARKS.md from bench/results.json (e.g. after editing bench/analysis.md)")
    args = parser.parse_args()
    if args.report_only:
        saved = json.load(open(os.path.join(ROOT, "bench", "results.json")))
        write_report(saved["results"], saved["summary"], saved["machine"], "make bench", saved["elapsed_s"])
        return
    if not args.bin or not args.tools:
        parser.error("--bin and --tools are required (make bench passes them)")
    if os.geteuid() != 0:
        print("note: not root, so caches cannot be dropped and nice -20 is refused; figures will be worse",
              file=sys.stderr)
    started = time.monotonic()
    bench = Bench(args)
    runs = 1 if args.quick else 3
    scenarios = [
        ("probe burst", lambda: bench.median_of(runs, "committed_per_s", bench.burst_probe, "probe_burst")),
        ("snowpiped burst (direct)", lambda: bench.median_of(
            runs, "submitted_per_s", lambda run: bench.burst_daemon("direct", run), "daemon_burst_direct")),
        ("snowpiped burst (rename-in)", lambda: bench.burst_daemon("rename")),
        ("snowpiped burst (direct, metrics scraped)", lambda: bench.median_of(
            runs, "cpu_us_per_file", lambda run: bench.burst_daemon("direct", run, metrics=True),
            "daemon_burst_direct_metrics")),
        ("start-up backlog", bench.backlog),
        ("latency", bench.latency), ("Python burst", lambda: bench.python("burst", 0)),
        ("Python paced", lambda: bench.python("paced", 2000)), ("snowpiped paced", lambda: bench.paced_daemon(2000)),
        ("footprint", bench.footprint),
        ("callgrind replay", bench.callgrind_replay),
    ]
    try:
        bench.setup()
        for label, scenario in scenarios:
            if args.only and not any(word in label for word in args.only):
                continue
            print(f"== {label}", flush=True)
            bench.wait_emulator_idle()
            result = scenario()
            print("   " + json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in result.items()}),
                  flush=True)
    finally:
        bench.close()
    elapsed = time.monotonic() - started
    summary = summarize(bench.results)
    info = machine()
    output = {"machine": info, "elapsed_s": elapsed, "results": bench.results, "summary": summary}
    with open(os.path.join(ROOT, "bench", "results.json"), "w") as out:
        json.dump(output, out, indent=2)
    if not args.only and not args.quick:
        write_report(bench.results, summary, info, "make bench", elapsed)
    print()
    print(table(bench.results, summary))
    print()
    for name, met in summary["targets"].items():
        print(f"  {'ok ' if met else '-- ' if met is None else 'NO '} {name}")
    print(f"\n{elapsed / 60:.1f} minutes; bench/results.json" + ("" if args.only or args.quick else ", BENCHMARKS.md"))
    print(f"the scratch files stay in {args.work} (removed at the start of the next run)")


if __name__ == "__main__":
    main()
