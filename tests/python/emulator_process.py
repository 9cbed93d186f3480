"""Start the snowpipe-emulator binary as a child process on 127.0.0.1 with a free port, for the Python tests."""
import json
import os
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

BIN_DIR = Path(os.environ.get("SNOWPIPED_BIN_DIR", Path(__file__).resolve().parents[2] / ".build" / "debug"))
ACCOUNT = "myorg-myacct.us-east-1"  # the SDK cuts this to MYORG-MYACCT in the JWT
USER = "ingest_user"
PIPE = "MYDB.MYSCHEMA.MYPIPE"
TABLE = "MYDB.MYSCHEMA.ORDERS"


def generate_key(directory: Path, name: str = "rsa_key.pem") -> Path:
    """An unencrypted PKCS#8 RSA key made by the openssl CLI, as Snowflake's guide does it."""
    path = directory / name
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(path)],
        check=True, capture_output=True)
    os.chmod(path, 0o600)
    return path


def public_pem(key_path: Path) -> str:
    return subprocess.run(
        ["openssl", "pkey", "-in", str(key_path), "-pubout"], check=True, capture_output=True, text=True).stdout


class Emulator:
    """A running emulator: `url`, `stage` (the pipe's stage directory), `admin(path)` for its counters."""

    def __init__(self, key_path: Path, workdir: Path, load_delay: float = 0.0):
        self.stage = workdir / "stage"
        self.stage.mkdir(parents=True, exist_ok=True)
        config = {
            "account": "MYORG-MYACCT",
            "users": [{"name": USER, "publicKeys": [public_pem(key_path)], "pipes": [PIPE]}],
            "pipes": [{
                "name": PIPE,
                "stageDirectory": str(self.stage),
                "stageLocation": "s3://demo-bucket/",
                "table": TABLE,
                "columns": [{"name": "ID", "type": "NUMBER"}, {"name": "ITEM", "type": "VARCHAR"},
                            {"name": "AMOUNT", "type": "FLOAT"}],
                "format": {"type": "CSV", "skipHeader": 1},
            }],
            "loadDelaySeconds": load_delay,
        }
        config_path = workdir / "emulator.json"
        config_path.write_text(json.dumps(config))
        self.process = subprocess.Popen(
            [str(BIN_DIR / "snowpipe-emulator"), "--config", str(config_path), "--log-level", "warning"],
            stdout=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.process.kill()
            raise RuntimeError(f"emulator did not print its URL (got {self.url!r})")
        self.port = int(self.url.rsplit(":", 1)[1])

    def admin(self, path: str, body=None, method=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def wait_for(condition, timeout: float = 30.0, interval: float = 0.1):
    """Polls `condition` until it returns a truthy value or the deadline passes (then raises)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met before the deadline")
        time.sleep(interval)


def temporary_directory():
    return tempfile.TemporaryDirectory(prefix="snowpiped-py-")
