"""The official Snowpipe Python SDK (snowflake-ingest) against our emulator: its requests must be accepted,
its tokens verified, and the files it submits loaded with the right row counts."""
import datetime
import uuid
from pathlib import Path

import pytest
# Import the submodule: snowpipe-streaming would overwrite snowflake/ingest/__init__.py (protocol-notes §0 #3).
from snowflake.ingest.simple_ingest_manager import SimpleIngestManager, StagedFile
from snowflake.ingest.error import IngestResponseError

from emulator_process import ACCOUNT, PIPE, TABLE, USER, Emulator, generate_key, temporary_directory, wait_for


@pytest.fixture()
def setup():
    with temporary_directory() as tmp:
        workdir = Path(tmp)
        key = generate_key(workdir)
        emulator = Emulator(key, workdir)
        try:
            yield emulator, key, workdir
        finally:
            emulator.stop()


def manager(emulator, key_path):
    return SimpleIngestManager(account=ACCOUNT, user=USER, pipe=PIPE, private_key=key_path.read_text(),
                               scheme="http", host="127.0.0.1", port=emulator.port)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def test_sdk_ingests_files_and_reads_history(setup):
    emulator, key, _ = setup
    (emulator.stage / "orders").mkdir()
    (emulator.stage / "orders" / "a.csv").write_text("ID,ITEM,AMOUNT\n1,apple,1.5\n2,pear,2\n3,plum,0.5\n")
    (emulator.stage / "orders" / "b.csv").write_text("ID,ITEM,AMOUNT\n4,fig,3\n5,kiwi,4\n")
    sdk = manager(emulator, key)
    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)

    response = sdk.ingest_files([StagedFile("orders/a.csv", 60), StagedFile("orders/b.csv", None)],
                                request_id=uuid.uuid4())
    assert response["responseCode"] == "SUCCESS"

    # get_history follows nextBeginMark itself; collect until both files have a final status.
    seen = {}

    def both_loaded():
        history = sdk.get_history()
        assert "nextBeginMark" in history and isinstance(history["completeResult"], bool)
        for entry in history["files"]:
            seen[entry["path"]] = entry
        return all(seen.get(p, {}).get("status") == "LOADED" for p in ("orders/a.csv", "orders/b.csv"))

    wait_for(both_loaded, timeout=30)
    assert seen["orders/a.csv"]["rowsInserted"] == 3
    assert seen["orders/b.csv"]["rowsInserted"] == 2
    # A second call with the stored mark returns nothing new.
    assert sdk.get_history()["files"] == []

    ranged = sdk.get_history_range(iso(started))
    assert ranged["completeResult"] is True  # the API page's example: a JSON Boolean
    assert sorted(f["path"] for f in ranged["files"]) == ["orders/a.csv", "orders/b.csv"]
    bounded = sdk.get_history_range(iso(started), iso(datetime.datetime.now(datetime.timezone.utc)
                                                      + datetime.timedelta(seconds=1)))
    assert len(bounded["files"]) == 2

    rows = emulator.admin(f"/admin/rows?table={TABLE}")["rows"]
    assert [row[1] for row in rows] == ["apple", "pear", "plum", "fig", "kiwi"]
    stats = emulator.admin("/admin/stats")
    assert stats["insertFilesCalls"] == 1 and stats["pathsReceived"] == 2


def test_sdk_tokens_from_an_unregistered_key_are_refused(setup):
    emulator, _, workdir = setup
    other = generate_key(workdir, "other.pem")
    with pytest.raises(IngestResponseError) as failure:
        manager(emulator, other).ingest_files([StagedFile("x.csv", 1)])
    assert failure.value.http_error_code == 401
    assert failure.value.code == "390144"
    assert emulator.admin("/admin/stats")["filesQueued"] == 0


def test_sdk_sees_skipped_paths_as_success_without_reloading(setup):
    emulator, key, _ = setup
    (emulator.stage / "c.csv").write_text("ID,ITEM,AMOUNT\n1,x,1\n")
    sdk = manager(emulator, key)
    assert sdk.ingest_files([StagedFile("c.csv", None)])["responseCode"] == "SUCCESS"
    assert sdk.ingest_files([StagedFile("c.csv", None)])["responseCode"] == "SUCCESS"
    emulator.admin("/admin/loads/flush", body={}, method="POST")
    wait_for(lambda: emulator.admin("/admin/stats")["filesByStatus"].get("LOADED") == 1)
    stats = emulator.admin("/admin/stats")
    assert stats["pathsReceived"] == 2 and stats["filesSkipped"] == 1
    assert stats["rowsByTable"][TABLE] == 1


def test_sdk_meets_a_stopped_pipe_as_a_400_that_names_no_file_and_loads_once_resumed(setup):
    emulator, key, workdir = setup
    sdk = manager(emulator, key)
    emulator.admin(f"/admin/pipes/{PIPE}/state", {"state": "STOPPED_CLONED"}, method="PUT")
    with pytest.raises(IngestResponseError) as failure:
        sdk.ingest_files([StagedFile("orders/a.csv", None)])
    assert failure.value.http_error_code == 400
    assert "STOPPED_CLONED" in str(failure.value)
    assert "orders/a.csv" not in str(failure.value)  # the refusal is the pipe's: it names no file
    with pytest.raises(IngestResponseError):
        sdk.get_history()
    emulator.admin(f"/admin/pipes/{PIPE}/state", {"state": "RUNNING"}, method="PUT")
    assert sdk.ingest_files([StagedFile("orders/a.csv", None)])["responseCode"] == "SUCCESS"
    assert emulator.admin("/admin/stats")["filesQueued"] == 1
