"""The benchmark report: the machine, the summary of the results against the targets, the table printed and
BENCHMARKS.md (`bench/analysis.md` appended)."""
import os
import platform
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------------------------------------- reporting


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    memory = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    mount = subprocess.run(["findmnt", "-no", "FSTYPE,OPTIONS", "--target", ROOT], capture_output=True,
                           text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory / 1024 / 1024, 1),
            "kernel": platform.release(), "filesystem": mount,
            "max_queued_events": int(open("/proc/sys/fs/inotify/max_queued_events").read())}


def ratio(ours, theirs):
    return ours / theirs if ours is not None and theirs else None


def summarize(results):
    """The headline ratios against the targets of issue 6."""
    probe = results.get("probe_burst", {})
    direct = results.get("daemon_burst_direct", {})
    rename = results.get("daemon_burst_rename", {})
    latency = results.get("latency", {})
    py_burst = results.get("python_burst", {})
    py_paced = results.get("python_paced", {})
    paced = results.get("daemon_paced", {})
    footprint = results.get("footprint", {})
    return {
        "committed_vs_probe": ratio(direct.get("committed_per_s"), probe.get("committed_per_s")),
        "submitted_vs_probe": ratio(direct.get("submitted_per_s"), probe.get("committed_per_s")),
        "rename_submitted_vs_probe": ratio(rename.get("submitted_per_s"), probe.get("committed_per_s")),
        "cpu_per_file_vs_probe": ratio(direct.get("cpu_us_per_file"), probe.get("cpu_us_per_file")),
        "commit_p99_vs_probe": ratio(latency.get("commit_p99_ms"), latency.get("probe_commit_p99_ms")),
        "burst_delivered_vs_python": ratio(direct.get("submitted"), py_burst.get("delivered")),
        "burst_rate_vs_python": ratio(direct.get("submitted_per_s"), py_burst.get("delivered_per_s")),
        "paced_cpu_per_file_vs_python": ratio(paced.get("cpu_us_per_file"), py_paced.get("cpu_us_per_file")),
        "paced_rss_vs_python": ratio(paced.get("peak_rss_mb"), py_paced.get("peak_rss_mb")),
        "metrics_cpu_per_file_vs_off": ratio(results.get("daemon_burst_direct_metrics", {}).get("cpu_us_per_file"),
                                             direct.get("cpu_us_per_file")),
        "targets": {
            "burst >= 0.8x probe (committed)": _at_least(ratio(direct.get("committed_per_s"),
                                                               probe.get("committed_per_s")), 0.8),
            "burst >= 0.8x probe (submitted)": _at_least(ratio(direct.get("submitted_per_s"),
                                                               probe.get("committed_per_s")), 0.8),
            "0 files lost": direct.get("lost") == 0 and rename.get("lost", 0) == 0,
            "CPU/file <= 3x probe": _at_most(ratio(direct.get("cpu_us_per_file"), probe.get("cpu_us_per_file")), 3),
            "peak RSS < 40 MB in the burst": _at_most(max(direct.get("peak_rss_mb", 0), rename.get("peak_rss_mb", 0)),
                                                      40),
            "commit p99 <= 2x probe": _at_most(ratio(latency.get("commit_p99_ms"),
                                                     latency.get("probe_commit_p99_ms")), 2),
            "insertFiles p99 < linger + 50 ms": _at_most(latency.get("insert_files_p99_ms"), 250),
            "idle: 0 requests": footprint.get("idle_http_requests") == 0 if footprint else None,
            "idle: < 0.5% CPU": _at_most(footprint.get("idle_cpu_pct"), 0.5),
            "idle: RSS < 40 MB at 1M rows": _at_most(footprint.get("idle_rss_mb"), 40),
            "metrics endpoint < 2% CPU/file": _at_most(ratio(
                results.get("daemon_burst_direct_metrics", {}).get("cpu_us_per_file"), direct.get("cpu_us_per_file")),
                1.02),
        },
    }


def _at_least(value, limit):
    return None if value is None else value >= limit


def _at_most(value, limit):
    return None if value is None else value <= limit


def fmt(value, digits=1):
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def table(results, summary):
    rows = []
    add = rows.append
    probe, direct, rename = (results.get(k, {}) for k in ("probe_burst", "daemon_burst_direct", "daemon_burst_rename"))
    add(("Burst", "", "", ""))
    add(("files/s to committed (direct)", fmt(direct.get("committed_per_s")), fmt(probe.get("committed_per_s")),
         fmt(summary["committed_vs_probe"], 2) + "x probe"))
    add(("files/s to submitted (direct)", fmt(direct.get("submitted_per_s")), "", 
         fmt(summary["submitted_vs_probe"], 2) + "x probe"))
    add(("each of the runs (median above): snowpiped to submitted / probe to committed",
         " ".join(fmt(v) for v in direct.get("runs", [])), " ".join(fmt(v) for v in probe.get("runs", [])), ""))
    add(("files/s to committed / submitted (rename-in)",
         f"{fmt(rename.get('committed_per_s'))} / {fmt(rename.get('submitted_per_s'))}", "",
         fmt(summary["rename_submitted_vs_probe"], 2) + "x probe"))
    add(("the creator's own rate in that run, files/s (direct / rename)",
         f"{fmt(direct.get('creator_per_s'))} / {fmt(rename.get('creator_per_s'))}",
         fmt(probe.get("creator_per_s")), ""))
    add(("files lost / duplicated / IN_Q_OVERFLOW (direct)",
         f"{fmt(direct.get('lost'))} / {fmt(direct.get('duplicates'))} / {fmt(direct.get('overflows'))}",
         f"{fmt(probe.get('lost'))} / — / {fmt(probe.get('overflows'))}", ""))
    add(("files lost / duplicated / IN_Q_OVERFLOW (rename-in)",
         f"{fmt(rename.get('lost'))} / {fmt(rename.get('duplicates'))} / {fmt(rename.get('overflows'))}", "", ""))
    add(("insertFiles calls (direct / rename)",
         f"{fmt(direct.get('insert_files_calls'))} / {fmt(rename.get('insert_files_calls'))}", "", ""))
    add(("CPU s per 100k files", fmt(direct.get("cpu_s_per_100k"), 2), fmt(probe.get("cpu_s_per_100k"), 2),
         fmt(summary["cpu_per_file_vs_probe"], 2) + "x probe"))
    add(("peak RSS, MB", fmt(direct.get("peak_rss_mb")), fmt(probe.get("peak_rss_mb")), ""))
    add(("outbox bytes per file", fmt(direct.get("outbox_bytes_per_file"), 0), "", ""))
    backlog = results.get("backlog", {})
    add(("Start-up backlog", "", "", ""))
    add(("start -> READY, s", fmt(backlog.get("start_to_ready_s"), 2), "", ""))
    add(("start -> all submitted, s", fmt(backlog.get("start_to_submitted_s"), 2), "", ""))
    add(("peak RSS, MB / CPU s", f"{fmt(backlog.get('peak_rss_mb'))} / {fmt(backlog.get('cpu_s'), 2)}", "", ""))
    latency = results.get("latency", {})
    add((f"Latency ({latency.get('rate_per_s', '?')} files/s, linger 200 ms)", "", "", ""))
    add(("create -> commit p50 / p99, ms",
         f"{fmt(latency.get('commit_p50_ms'))} / {fmt(latency.get('commit_p99_ms'))}",
         f"{fmt(latency.get('probe_commit_p50_ms'))} / {fmt(latency.get('probe_commit_p99_ms'))}",
         fmt(summary["commit_p99_vs_probe"], 2) + "x probe p99"))
    add(("create -> insertFiles acknowledged p50 / p99, ms",
         f"{fmt(latency.get('insert_files_p50_ms'))} / {fmt(latency.get('insert_files_p99_ms'))}", "", ""))
    add(("create -> LOADED known p50 / p99, ms (poll 10 s)",
         f"{fmt(latency.get('loaded_p50_ms'), 0)} / {fmt(latency.get('loaded_p99_ms'), 0)}", "", ""))
    footprint = results.get("footprint", {})
    add((f"Footprint ({fmt(footprint.get('rows'))} finished rows)", "", "", ""))
    add((f"idle {footprint.get('idle_seconds', '?')} s: CPU %, RSS MB, HTTP requests",
         f"{fmt(footprint.get('idle_cpu_pct'), 3)} %, {fmt(footprint.get('idle_rss_mb'))}, "
         f"{fmt(footprint.get('idle_http_requests'))}", "", ""))
    add(("outbox bytes per file", fmt(footprint.get("outbox_bytes_per_file"), 0), "", ""))
    add(("`snowpiped status` (summary / one file), s",
         f"{fmt(footprint.get('status_s'), 3)} / {fmt(footprint.get('status_one_file_s'), 3)}", "", ""))
    for label in ("burst", "paced"):
        python = results.get(f"python_{label}", {})
        ours = direct if label == "burst" else results.get("daemon_paced", {})
        rate = python.get("rate_per_s")
        add((f"Python alternative, {label}" + (f" at {rate} files/s" if rate else " (full speed)"), "snowpiped",
             "Python", ""))
        add(("files delivered of " + fmt(python.get("files")),
             fmt(ours.get("submitted", ours.get("delivered"))), fmt(python.get("delivered")),
             f"Python lost {fmt(python.get('lost_pct'))} %"))
        add(("files/s delivered", fmt(ours.get("submitted_per_s", ours.get("delivered_per_s"))),
             fmt(python.get("delivered_per_s")),
             fmt(ratio(ours.get("submitted_per_s", ours.get("delivered_per_s")), python.get("delivered_per_s")), 2)
             + "x"))
        add(("CPU µs per delivered file", fmt(ours.get("cpu_us_per_file")), fmt(python.get("cpu_us_per_file")),
             fmt(ratio(ours.get("cpu_us_per_file"), python.get("cpu_us_per_file")), 2) + "x"))
        add(("peak RSS, MB", fmt(ours.get("peak_rss_mb")), fmt(python.get("peak_rss_mb")),
             fmt(ratio(ours.get("peak_rss_mb"), python.get("peak_rss_mb")), 2) + "x"))
    replayed = results.get("callgrind_replay", {})
    add((f"Instructions (callgrind replay of {fmt(replayed.get('files'))} files, emulator in process)", "", "", ""))
    add(("instructions per file (watcher, outbox, batches, reports, log lines)",
         fmt(replayed.get("instructions_per_file"), 0), "", ""))
    lines = ["| Measure | snowpiped | Reference | Ratio |", "|---|---|---|---|"]
    for measure, ours, reference, note in rows:
        if ours == "" and reference == "" and note == "":
            lines.append(f"| **{measure}** | | | |")
        else:
            lines.append(f"| {measure} | {ours} | {reference} | {note} |")
    return "\n".join(lines)


def write_report(results, summary, info, command, elapsed):
    targets = "\n".join(f"| {name} | {fmt(met)} |" for name, met in summary["targets"].items())
    text = f"""# Benchmarks

Taken by `{command}` on {time.strftime('%Y-%m-%d', time.gmtime())}, in {elapsed / 60:.1f} minutes. Method:
`../shared/reference/benchmark-method.md` — every file-creating run in a new, empty directory after
`sync; echo 3 > /proc/sys/vm/drop_caches`, no deletes in the minute before a run, every measured process under
`nice -n -20`, {results.get('probe_burst', {}).get('files', 0):,} files of 100 bytes named `f%07d.dat` created with
`openat`/`write`/`close` by `bench/creator.c`. The daemon is the release build (static Swift runtime, as
packaged) with the default configuration (linger 200 ms, 5000 files per call, insertReport every 10 s),
talking HTTP to the bundled emulator on 127.0.0.1 (load delay 0). The reference column is the C probe
(`bench/probe.c`: inotify -> stat -> SQLite WAL synchronous=FULL, 1000 rows or 50 ms per transaction) in the
same run, or the Python alternative (`bench/python_baseline.py`: watchdog + snowflake-ingest `ingest_files`,
batches of up to 5000, the same linger). Raw figures: `bench/results.json`.

Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, Linux {info['kernel']},
filesystem `{info['filesystem']}`, `fs.inotify.max_queued_events` = {info['max_queued_events']:,}.

{table(results, summary)}

## Targets (issue 6)

| Target | Met |
|---|---|
{targets}

"Committed" is the time the file's row was stamped in its outbox transaction (the probe stamps its rows the same
way); "submitted" is the time the insertFiles call that carried the file returned 2xx and that was committed.
Burst rates run from the first file created to the last file committed or submitted.
"""
    # The hand-written part (profile findings, what was fixed, what is left) follows the measured part.
    analysis = os.path.join(ROOT, "bench", "analysis.md")
    if os.path.exists(analysis):
        text += "\n" + open(analysis).read()
    open(os.path.join(ROOT, "BENCHMARKS.md"), "w").write(text)
