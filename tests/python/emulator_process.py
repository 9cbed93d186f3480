"""Start the snowpipe-emulator binary as a child process on 127.0.0.1 with a free port, for the Python tests."""
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BIN_DIR = Path(os.environ.get("SNOWPIPED_BIN_DIR", Path(__file__).resolve().parents[2] / ".build" / "debug"))
ACCOUNT = "myorg-myacct.us-east-1"  # the SDK cuts this to MYORG-MYACCT in the JWT
USER = "ingest_user"
PIPE = "MYDB.MYSCHEMA.MYPIPE"
TABLE = "MYDB.MYSCHEMA.ORDERS"
# The streaming pipe (NDJSON rows matched to columns by name) and its table.
STREAM_PIPE = "MYDB.MYSCHEMA.EVENTS_PIPE"
STREAM_TABLE = "MYDB.MYSCHEMA.EVENTS"
# The internal stage (behind moto) and the pipe that copies from it.
UP_STAGE = "MYDB.MYSCHEMA.UP_STAGE"
UP_PIPE = "MYDB.MYSCHEMA.UP_PIPE"


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


def make_tls(directory: Path):
    """A test CA and a server certificate for 127.0.0.1 and localhost signed by it, made with the openssl CLI
    (the README shows the same commands). Returns (ca.pem, server.pem, server.key)."""
    ca_key, ca, key, csr, cert, ext = (directory / n for n in (
        "ca.key", "ca.pem", "server.key", "server.csr", "server.pem", "server.ext"))
    run = lambda *args: subprocess.run(args, check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca),
        "-days", "2", "-subj", "/CN=snowpipe-emulator test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
        "-subj", "/CN=localhost")
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
                   "basicConstraints=CA:FALSE\n")
    run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
        "-out", str(cert), "-days", "2", "-extfile", str(ext))
    return ca, cert, key


class Emulator:
    """A running emulator: `url`, `stage` (the pipe's stage directory), `admin(path)` for its counters.
    With `tls=(ca, cert, key)` it serves HTTPS (the streaming SDK speaks nothing else)."""

    def __init__(self, key_path: Path, workdir: Path, load_delay: float = 0.0, tls=None, database: Path = None,
                 moto=None):
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
            }, {
                "name": STREAM_PIPE,
                "stageDirectory": str(self.stage),
                "table": STREAM_TABLE,
                "columns": [{"name": "ID", "type": "NUMBER"}, {"name": "NAME", "type": "VARCHAR"}],
                "format": {"type": "NDJSON"},
                "kind": "STREAMING",
            }],
            "loadDelaySeconds": load_delay,
            "streamingCommitDelaySeconds": 0.5,
        }
        config["users"][0]["pipes"].append(STREAM_PIPE)
        if moto is not None:
            config["stageStorage"] = moto.stage_storage()
            config["stages"] = [{"name": UP_STAGE, "encryption": "SNOWFLAKE_FULL"}]
            config["pipes"].append({
                "name": UP_PIPE, "stage": UP_STAGE, "table": TABLE,
                "columns": [{"name": "ID", "type": "NUMBER"}, {"name": "ITEM", "type": "VARCHAR"},
                            {"name": "AMOUNT", "type": "FLOAT"}],
                "format": {"type": "CSV", "skipHeader": 1}})
            config["users"][0]["pipes"].append(UP_PIPE)
        if database is not None:
            config["databasePath"] = str(database)
        config_path = workdir / "emulator.json"
        config_path.write_text(json.dumps(config))
        command = [str(BIN_DIR / "snowpipe-emulator"), "--config", str(config_path), "--log-level", "warning"]
        self.ca = None
        if tls is not None:
            self.ca, cert, key = tls
            command += ["--tls-cert", str(cert), "--tls-key", str(key)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("https://" if tls else "http://"):
            self.process.kill()
            raise RuntimeError(f"emulator did not print its URL (got {self.url!r})")
        self.port = int(self.url.rsplit(":", 1)[1])

    def admin(self, path: str, body=None, method=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        context = ssl.create_default_context(cafile=str(self.ca)) if self.ca else None
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return json.loads(response.read())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Moto:
    """tests/fixtures/moto_stage.py as a child process: a real S3 with signatures checked."""

    def __init__(self, tls=None):
        """`tls=(ca, cert, key)` serves HTTPS with that certificate."""
        script = Path(__file__).resolve().parents[1] / "fixtures" / "moto_stage.py"
        arguments = ["--tls", str(tls[1]), str(tls[2]), str(tls[0])] if tls else []
        self.ca = tls[0] if tls else None
        self.process = subprocess.Popen([sys.executable, str(script), *arguments], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        announced = json.loads(self.process.stdout.readline())
        self.endpoint, self.region, self.bucket = announced["endpoint"], announced["region"], announced["bucket"]
        self.role_arn, self.admin = announced["roleARN"], announced["admin"]
        self.port = int(self.endpoint.rsplit(":", 1)[1])

    def stage_storage(self):
        """The emulator's `stageStorage` for this S3: its endpoint, admin key and role (and CA with TLS)."""
        return {"endpoint": self.endpoint, "region": self.region, "bucket": self.bucket,
                "accessKeyID": self.admin["accessKeyID"], "secretAccessKey": self.admin["secretAccessKey"],
                "roleARN": self.role_arn, "caFile": str(self.ca) if self.ca else None}

    def stop(self):
        self.process.stdin.close()
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
