"""Independent checks of the internal-stage path with Snowflake's own Python connector (4.x), against the
emulator and moto (signatures checked): the connector's `PUT` is served by the emulator and its file loads
through insertFiles; and an object `snowpiped` uploaded decrypts with the connector's own decryption routine."""
import base64
import gzip
import hashlib
import json
import os
import subprocess
import uuid
from pathlib import Path

import boto3
import pytest
import snowflake.connector
from snowflake.connector.constants import EncryptionMetadata
from snowflake.connector.encryption_util import SnowflakeEncryptionUtil
from snowflake.connector.s3_storage_client import SnowflakeS3RestClient
from snowflake.connector.storage_client import SnowflakeFileEncryptionMaterial
from snowflake.ingest.simple_ingest_manager import SimpleIngestManager, StagedFile

from emulator_process import (ACCOUNT, BIN_DIR, TABLE, UP_PIPE, UP_STAGE, USER, Emulator, Moto, generate_key,
                              temporary_directory, wait_for)


@pytest.fixture()
def setup(monkeypatch):
    with temporary_directory() as tmp:
        workdir = Path(tmp)
        key = generate_key(workdir)
        moto = Moto()
        emulator = Emulator(key, workdir, moto=moto)
        # The only patch (as in reference/internal-stage-notes.md §5): the connector's S3 client, which speaks
        # https to virtual-host AWS names only, is pointed at moto on loopback, path-style.
        def loopback(self, use_accelerate_endpoint=None):
            self.endpoint = f"{moto.endpoint}/{self.s3location.bucket_name}"
            return False
        monkeypatch.setattr(SnowflakeS3RestClient, "transfer_accelerate_config", loopback)
        try:
            yield emulator, moto, key, workdir
        finally:
            emulator.stop()
            moto.stop()


def connect(emulator, key):
    """The official connector, logged in with the key pair to the emulator on loopback."""
    return snowflake.connector.connect(
        account="myorg-myacct", user=USER, host="127.0.0.1", port=emulator.port, protocol="http",
        authenticator="SNOWFLAKE_JWT", private_key_file=str(key), validate_default_parameters=False,
        client_telemetry_enabled=False, ocsp_fail_open=True)


def rows(emulator):
    return emulator.admin(f"/admin/rows?table={TABLE}")["rows"]


def test_the_connectors_put_is_served_and_the_file_loads_through_insert_files(setup):
    emulator, _, key, workdir = setup
    source = workdir / "orders.csv"
    source.write_text("ID,ITEM,AMOUNT\n1,apple,1.5\n2,pear,2\n")
    connection = connect(emulator, key)
    try:
        cursor = connection.cursor()
        cursor.execute(f"PUT file://{source} @{UP_STAGE}/in AUTO_COMPRESS=TRUE")
        result = cursor.fetchall()
        assert [(row[0], row[1], row[6]) for row in result] == [("orders.csv", "orders.csv.gz", "UPLOADED")]
        # A second PUT of the same name: the connector HEADs, finds it, and skips (OVERWRITE=FALSE).
        cursor.execute(f"PUT file://{source} @{UP_STAGE}/in AUTO_COMPRESS=TRUE")
        assert cursor.fetchall()[0][6] == "SKIPPED"
    finally:
        connection.close()
    sdk = SimpleIngestManager(account=ACCOUNT, user=USER, pipe=UP_PIPE, private_key=key.read_text(),
                              scheme="http", host="127.0.0.1", port=emulator.port)
    assert sdk.ingest_files([StagedFile("in/orders.csv.gz", None)], request_id=uuid.uuid4())["responseCode"] == "SUCCESS"
    loaded = wait_for(lambda: rows(emulator), timeout=30)
    assert sorted(row[0] for row in loaded) == ["1", "2"]


def test_the_connectors_put_of_quoted_names_with_spaces_quotes_and_non_ascii_is_parsed_as_snowflake_does(setup):
    emulator, _, key, workdir = setup
    folder = workdir / "with space"
    folder.mkdir()
    source = folder / "it's ü.csv"
    source.write_text("ID,ITEM,AMOUNT\n3,plum,1\n")
    connection = connect(emulator, key)
    try:
        cursor = connection.cursor()
        # The source with a backslash-escaped quote, the target with a doubled one: both Snowflake literals.
        escaped = str(source).replace("'", "\\'")
        cursor.execute(f"PUT 'file://{escaped}' '@{UP_STAGE}/dir with space/o''neil ü日本' AUTO_COMPRESS=TRUE")
        result = cursor.fetchall()
        assert [(row[0], row[6]) for row in result] == [("it's ü.csv", "UPLOADED")], result
    finally:
        connection.close()
    sdk = SimpleIngestManager(account=ACCOUNT, user=USER, pipe=UP_PIPE, private_key=key.read_text(),
                              scheme="http", host="127.0.0.1", port=emulator.port)
    path = "dir with space/o'neil ü日本/it's ü.csv.gz"
    assert sdk.ingest_files([StagedFile(path, None)], request_id=uuid.uuid4())["responseCode"] == "SUCCESS"
    loaded = wait_for(lambda: rows(emulator), timeout=30)
    assert [row[0] for row in loaded] == ["3"]


def test_an_object_snowpiped_uploaded_decrypts_with_the_connectors_routine(setup):
    emulator, moto, key, workdir = setup
    drop, state = workdir / "drop", workdir / "state"
    drop.mkdir()
    config = workdir / "snowpiped.yaml"
    config.write_text(f"""
snowflake:
  account: myorg-myacct
  user: {USER}
  private_key_file: {key}
  host: 127.0.0.1
  port: {emulator.port}
  scheme: http
  allow_plain_http: true
state_directory: {state}
watch:
  - directory: {drop}
    pipe: {UP_PIPE}
    stage: {{kind: internal, name: {UP_STAGE}, path: up, endpoint: "{moto.endpoint}"}}
batching:
  linger_ms: 100
reporter:
  poll_seconds: 0.3
""")
    log = workdir / "snowpiped.log"
    with open(log, "w") as stderr:
        daemon = subprocess.Popen([str(BIN_DIR / "snowpiped"), "run", "--config", str(config), "--log-target",
                                   "stderr"], stderr=stderr)
    try:
        original = b"ID,ITEM,AMOUNT\n7,fig,3\n8,kiwi,4\n"
        (workdir / "tmp.csv").write_bytes(original)
        os.rename(workdir / "tmp.csv", drop / "figs.csv")
        wait_for(lambda: "LOADED figs.csv" in log.read_text(), timeout=60)
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
    s3 = boto3.client("s3", endpoint_url=moto.endpoint, region_name=moto.region,
                      aws_access_key_id=moto.admin["accessKeyID"],
                      aws_secret_access_key=moto.admin["secretAccessKey"])
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=moto.bucket)["Contents"] if "figs.csv" in item["Key"]]
    assert len(keys) == 1 and keys[0].endswith("/figs.csv.gz"), keys
    stored = s3.get_object(Bucket=moto.bucket, Key=keys[0])
    meta = stored["Metadata"]
    ciphertext = workdir / "object.bin"
    ciphertext.write_bytes(stored["Body"].read())
    query_id = json.loads(meta["x-amz-matdesc"])["queryId"]
    material = emulator.admin(f"/admin/stage-material?queryId={query_id}")
    decrypted = SnowflakeEncryptionUtil.decrypt_file(
        EncryptionMetadata(key=meta["x-amz-key"], iv=meta["x-amz-iv"], matdesc=meta["x-amz-matdesc"]),
        SnowflakeFileEncryptionMaterial(material["queryStageMasterKey"], material["queryId"], material["smkId"]),
        str(ciphertext), tmp_dir=str(workdir))
    plain = Path(decrypted).read_bytes()
    assert gzip.decompress(plain) == original
    assert meta["sfc-digest"] == base64.b64encode(hashlib.sha256(plain).digest()).decode()
