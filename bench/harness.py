"""What the benchmark scripts share: a fresh work directory with the bench user's key pair, the bundled emulator
started from a configuration, the head of a daemon configuration, and stopping what a scenario left running."""
import json
import os
import shutil
import subprocess


def remove_tree(path):
    """Deletes a large tree with parallel `rm` (hazard H3: every unlink issues a synchronous discard)."""
    stage = os.path.join(path, "stage")
    children = [os.path.join(stage, name) for name in os.listdir(stage)] if os.path.isdir(stage) else []
    processes = [subprocess.Popen(["rm", "-rf", child]) for child in children]
    for process in processes:
        process.wait()
    shutil.rmtree(path, ignore_errors=True)


class BenchBase:
    """One benchmark run: its release binaries, work directory, results and child processes."""

    def __init__(self, bin_dir, work):
        self.bin = bin_dir
        self.work = work
        self.results = {}
        self.children = []
        self.emulator = None

    def exe(self, name):
        return os.path.join(self.bin, name)

    def fresh_work(self, announce=False):
        """Empties the work directory and makes the bench user's key pair; True when a previous run's files were
        there (the caller may have to wait out their deletion)."""
        leftovers = os.path.exists(self.work)
        if leftovers:
            if announce:
                print(f"removing the previous run's files in {self.work} ...", flush=True)
            remove_tree(self.work)
        os.makedirs(self.work)
        os.chmod(self.work, 0o700)
        self.key = os.path.join(self.work, "rsa_key.p8")
        subprocess.run([self.exe("snowpiped"), "keygen", "--out", self.key, "--user", "BENCH_USER"],
                       check=True, stdout=subprocess.DEVNULL)
        return leftovers

    def bench_user(self, pipes):
        """The emulator's `users` entry for the bench user, with its public key and `pipes` granted."""
        return {"name": "BENCH_USER", "publicKeys": [open(self.key + ".pub").read()], "pipes": list(pipes)}

    def start_emulator(self, config, *extra):
        """Starts the emulator with `config` (written to emulator.json) and reads its URL and port."""
        path = os.path.join(self.work, "emulator.json")
        json.dump(config, open(path, "w"))
        self.emulator = subprocess.Popen(
            [self.exe("snowpipe-emulator"), "--config", path, "--log-level", "error", *extra],
            stdout=subprocess.PIPE, text=True)
        self.url = self.emulator.stdout.readline().strip()
        self.port = int(self.url.rsplit(":", 1)[1])

    def snowflake_yaml(self, state, ca_file=None):
        """A daemon configuration's `snowflake:` section for the emulator (plain HTTP, or TLS trusting
        `ca_file`) and its `state_directory:`; the caller appends `watch:`."""
        transport = f"  ca_file: {ca_file}\n" if ca_file else "  scheme: http\n  allow_plain_http: true\n"
        return (f"snowflake:\n  account: bench-account\n  user: bench_user\n  private_key_file: {self.key}\n"
                f"  host: 127.0.0.1\n  port: {self.port}\n{transport}state_directory: {state}\n")

    def close(self):
        """Stops what a scenario (even a failed one) left running, then the emulator."""
        for child in self.children:
            if child.poll() is None:
                child.kill()
                child.wait()
        if self.emulator:
            self.emulator.terminate()
            self.emulator.wait()
