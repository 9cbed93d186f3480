#!/usr/bin/env python3
"""`make bench-upload`: upload mode (stage: {kind: internal}) against the official Python connector's `PUT` of
the same files, in the same run, both to the bundled emulator's encrypted internal stage backed by moto (a real
S3 with signatures checked) on loopback. Scenarios: (a) many small CSV files, (b) a few large ones. For each:
files/s and MB/s until every file is in the stage and verified (the daemon: its outbox's `staged` rows; the
connector: its `PUT file:///dir/* … PARALLEL=4` returning, every row UPLOADED), CPU seconds per file and per MB,
and peak RSS of the uploader (the daemon, or the Python process running the connector). For the daemon also the
time until every file was LOADED, and rows lost / duplicated (must be 0). Writes bench/upload-results.json.

moto (a Python server) is the same bottleneck for both sides: the absolute numbers say more about it than about
S3; the comparison is what this measures.

usage: bench/upload.py --bin DIR [--work DIR] [--small N] [--large-mb M] [--quick]
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "python"))
from emulator_process import Moto  # noqa: E402  (the tests' moto fixture, one recipe)
from harness import BenchBase  # noqa: E402
from measure import cpu_seconds, drop_caches, follow, memory_kb, wait_for  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAGE = "BENCH.PUBLIC.UP_STAGE"
PIPES = {name: f"BENCH.PUBLIC.{name.upper()}_PIPE" for name in ("small", "large")}

CONNECTOR_PUT = r'''
import sys, snowflake.connector
from snowflake.connector.s3_storage_client import SnowflakeS3RestClient
port, key, directory, target, s3 = sys.argv[1:6]
def loopback(self, use_accelerate_endpoint=None):
    self.endpoint = f"{s3}/{self.s3location.bucket_name}"   # moto on loopback, path-style: the only patch
    return False
SnowflakeS3RestClient.transfer_accelerate_config = loopback
connection = snowflake.connector.connect(
    account="bench-account", user="bench_user", host="127.0.0.1", port=int(port), protocol="http",
    authenticator="SNOWFLAKE_JWT", private_key_file=key, validate_default_parameters=False,
    client_telemetry_enabled=False)
cursor = connection.cursor()
cursor.execute(f"PUT file://{directory}/* @{target} AUTO_COMPRESS=TRUE PARALLEL=4")
statuses = [row[6] for row in cursor.fetchall()]
connection.close()
bad = [status for status in statuses if status != "UPLOADED"]
print(len(statuses), len(bad))
sys.exit(1 if bad else 0)
'''


class UploadBench(BenchBase):
    def __init__(self, args):
        super().__init__(args.bin, args.work)
        self.args = args
        self.moto = None

    def setup(self):
        self.fresh_work()
        self.moto = Moto()
        columns = [{"name": "ID", "type": "NUMBER"}, {"name": "NAME", "type": "VARCHAR"},
                   {"name": "AMOUNT", "type": "FLOAT"}]
        config = {
            "account": "BENCH-ACCOUNT",
            "users": [self.bench_user(PIPES.values())],
            "pipes": [{"name": PIPES[n], "stage": STAGE, "table": f"BENCH.PUBLIC.{n.upper()}", "columns": columns,
                       "format": {"type": "CSV", "skipHeader": 1}} for n in PIPES],
            "stages": [{"name": STAGE, "encryption": "SNOWFLAKE_FULL"}],
            "stageStorage": {
                "endpoint": self.moto.endpoint, "region": self.moto.region, "bucket": self.moto.bucket,
                "accessKeyID": self.moto.admin["accessKeyID"], "secretAccessKey": self.moto.admin["secretAccessKey"],
                "roleARN": self.moto.role_arn},
            "loadDelaySeconds": 0.2,
            "databasePath": os.path.join(self.work, "emulator.sqlite"),
        }
        self.start_emulator(config)

    def table_ids(self, name):
        with sqlite3.connect(os.path.join(self.work, "emulator.sqlite")) as db:
            rows = db.execute(f'SELECT "ID", COUNT(*) FROM "BENCH.PUBLIC.{name.upper()}" GROUP BY "ID"').fetchall()
        return {int(row[0]): row[1] for row in rows}

    def write_files(self, directory, files, rows_per_file, first_id=0):
        """CSV files of `rows_per_file` rows (~100 bytes each, half of it random hex so gzip cannot hide it)."""
        os.makedirs(directory, exist_ok=True)
        size, next_id = 0, first_id
        for index in range(files):
            lines = ["ID,NAME,AMOUNT\n"] + [f"{i},{os.urandom(40).hex()},{i}.5\n"
                                           for i in range(next_id, next_id + rows_per_file)]
            text = "".join(lines)
            with open(os.path.join(directory, f"f{index:06d}.csv"), "w") as out:
                out.write(text)
            next_id += rows_per_file
            size += len(text)
        return files * rows_per_file, size

    @staticmethod
    def outbox(state, sql):
        path = os.path.join(state, "outbox.sqlite")
        if not os.path.exists(path):
            return 0
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return db.execute(sql).fetchone()[0]

    def daemon(self, name, directory, files, timeout):
        state = os.path.join(self.work, "state-" + name)
        config = os.path.join(self.work, name + ".yaml")
        open(config, "w").write(self.snowflake_yaml(state) + f"""watch:
  - directory: {directory}
    pipe: {PIPES[name]}
    settle_seconds: 0
    stage: {{kind: internal, name: {STAGE}, path: daemon-{name}, endpoint: "{self.moto.endpoint}"}}
reporter:
  poll_seconds: 0.3
""")
        log = open(os.path.join(self.work, name + ".log"), "a")
        drop_caches()
        started = time.time()
        process = subprocess.Popen(
            ["nice", "-n", "-20", self.exe("snowpiped"), "run", "--config", config, "--log-target", "stderr"],
            stdout=log, stderr=log)
        self.children.append(process)
        peak, staged_at = 0, None

        def staged():
            nonlocal peak
            peak = max(peak, memory_kb(process.pid, "VmHWM"))
            return self.outbox(state, "SELECT COUNT(*) FROM staged") >= files
        wait_for(f"{name}: every file staged and verified", staged, timeout, interval=0.1)
        staged_at = time.time() - started
        cpu = cpu_seconds(process.pid)
        wait_for(f"{name}: every file final",
                 lambda: self.outbox(state, "SELECT COUNT(*) FROM files WHERE state NOT IN ('pending', 'submitted')")
                 >= files, timeout, interval=0.2)
        loaded = self.outbox(state, "SELECT COUNT(*) FROM files WHERE state = 'LOADED'")
        if loaded < files:
            raise RuntimeError(f"{name}: {files - loaded} file(s) ended other than LOADED (see {name}.log)")
        loaded_at = time.time() - started
        peak = max(peak, memory_kb(process.pid, "VmHWM"))
        process.terminate()
        process.wait(timeout=60)
        return staged_at, cpu, peak, loaded_at

    def connector(self, name, directory, timeout):
        script = os.path.join(self.work, "connector_put.py")
        open(script, "w").write(CONNECTOR_PUT)
        drop_caches()
        started = time.time()
        process = subprocess.Popen(
            ["nice", "-n", "-20", os.path.join(ROOT, ".venv/bin/python"), script, str(self.port), self.key, directory,
             f"{STAGE}/connector-{name}", self.moto.endpoint],
            stdout=subprocess.PIPE, stderr=open(os.path.join(self.work, name + "-connector.log"), "a"), text=True)
        self.children.append(process)
        cpu, peak = follow(process, f"{name}: the connector's PUT (see {name}-connector.log)", timeout)
        elapsed = time.time() - started
        return elapsed, cpu, peak

    def record(self, label, files, size, seconds, cpu, peak, extra=None):
        result = {"files": files, "mb": round(size / 1e6, 1), "seconds": round(seconds, 2),
                  "files_per_s": round(files / seconds, 1), "mb_per_s": round(size / 1e6 / seconds, 2),
                  "cpu_ms_per_file": round(cpu * 1000 / files, 2), "cpu_s_per_mb": round(cpu / (size / 1e6), 3),
                  "peak_rss_mb": round(peak / 1024, 1)}
        result.update(extra or {})
        self.results[label] = result
        print(f"  {label}: {result}", flush=True)

    def scenario(self, name, files, rows_per_file, timeout):
        directory = os.path.join(self.work, name)
        rows, size = self.write_files(directory, files, rows_per_file)
        staged, cpu, peak, loaded = self.daemon(name, directory, files, timeout)
        ids = self.table_ids(name)
        self.record(f"{name}_snowpiped", files, size, staged, cpu, peak, {
            "seconds_to_all_loaded": round(loaded, 2), "lost": rows - len(ids),
            "duplicated": sum(count - 1 for count in ids.values() if count > 1)})
        connector_dir = os.path.join(self.work, name + "-connector")
        self.write_files(connector_dir, files, rows_per_file)
        seconds, cpu, peak = self.connector(name, connector_dir, timeout)
        self.record(f"{name}_connector_put", files, size, seconds, cpu, peak)

    def close(self):
        super().close()
        if self.moto:
            self.moto.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True, help="directory of the release snowpiped and snowpipe-emulator")
    parser.add_argument("--work", default="/var/tmp/snowpiped-bench-upload")
    parser.add_argument("--small", type=int, default=10_000, help="small files in (a)")
    parser.add_argument("--large-mb", type=int, default=50, help="size of each of the two files in (b)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", default=["small", "large"])
    args = parser.parse_args()
    bench = UploadBench(args)
    bench.setup()
    try:
        if "small" in args.only:
            small = 1000 if args.quick else args.small
            print(f"(a) {small} small CSV files, 10 rows each (~1 KB)", flush=True)
            bench.scenario("small", small, 10, 3600)
        if "large" in args.only:
            megabytes = 10 if args.quick else args.large_mb
            print(f"(b) 2 large CSV files of ~{megabytes} MB", flush=True)
            bench.scenario("large", 2, megabytes * 10_000, 3600)
    finally:
        bench.close()
    out = os.path.join(ROOT, "bench", "upload-results.json")
    previous = json.load(open(out)) if os.path.exists(out) and args.only != ["small", "large"] else {}
    previous.update(bench.results)
    json.dump(previous, open(out, "w"), indent=2)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
