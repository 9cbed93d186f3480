"""The official Snowpipe Streaming SDK (snowpipe-streaming 1.9.1, Rust core, HTTPS only) against our emulator
over TLS: it must create its client, open a channel, append rows with offset tokens, see them committed, read
the channel status and drop the channel, unmodified; the rows must be in the table exactly once; a second
client reopening the channel must see the committed offset token."""
from pathlib import Path

import pytest
from snowflake.ingest.streaming import StreamingIngestClient

from emulator_process import (STREAM_PIPE, STREAM_TABLE, USER, Emulator, Moto, generate_key, make_tls,
                              temporary_directory)

DATABASE, SCHEMA, PIPE_NAME = STREAM_PIPE.split(".")


@pytest.fixture(scope="module")
def tls():
    """One test CA for the module: the SDK reads SSL_CERT_FILE once per process for its S3 client (a second
    CA in the same process is not trusted there), and for each client it builds for Snowflake."""
    with temporary_directory() as tmp:
        yield make_tls(Path(tmp))


@pytest.fixture()
def setup(monkeypatch, tls):
    with temporary_directory() as tmp:
        workdir = Path(tmp)
        key = generate_key(workdir)
        monkeypatch.setenv("SSL_CERT_FILE", str(tls[0]))
        emulator = Emulator(key, workdir, tls=tls, database=workdir / "emulator.sqlite")
        try:
            yield emulator, key
        finally:
            emulator.stop()


@pytest.fixture()
def staged_setup(monkeypatch, tls):
    """The emulator with stage storage: moto over HTTPS with the same test CA (the SDK's file mode reaches
    `https://<storage_endpoint>` only)."""
    with temporary_directory() as tmp:
        workdir = Path(tmp)
        key = generate_key(workdir)
        monkeypatch.setenv("SSL_CERT_FILE", str(tls[0]))
        moto = Moto(tls=tls)
        try:
            emulator = Emulator(key, workdir, tls=tls, database=workdir / "emulator.sqlite", moto=moto)
            try:
                yield emulator, key
            finally:
                emulator.stop()
        finally:
            moto.stop()


def client(emulator, key, name, **extra):
    properties = {"account": "myorg-myacct", "user": USER, "url": emulator.url, "private_key": key.read_text()}
    return StreamingIngestClient(name, DATABASE, SCHEMA, PIPE_NAME, properties={**properties, **extra})


def table_rows(emulator):
    return emulator.admin(f"/admin/rows?table={STREAM_TABLE}")["rows"]


def test_sdk_streams_rows_exactly_once_and_drops_the_channel(setup):
    emulator, key = setup
    sdk = client(emulator, key, "first")
    channel, status = sdk.open_channel("ORDERS_CH")
    assert status.status_code == "SUCCESS"
    assert status.latest_committed_offset_token is None
    for i in range(10):
        channel.append_row({"id": i, "name": f"n{i}"}, str(i))
    channel.append_rows([{"id": 10, "name": "a"}, {"id": 11, "name": "b"}], "10", "11")
    channel.wait_for_commit(lambda token: token is not None and int(token) >= 11, timeout_seconds=60)
    assert channel.get_latest_committed_offset_token() == "11"
    status = channel.get_channel_status()
    assert status.rows_inserted_count == 12
    assert status.rows_error_count == 0
    assert status.channel_name == "ORDERS_CH"
    channel.close(drop=True)
    sdk.close()

    rows = table_rows(emulator)
    assert sorted(int(row[0]) for row in rows) == list(range(12))  # each row exactly once
    assert {row[1] for row in rows if row[0] == "3"} == {"n3"}
    assert emulator.admin("/admin/channels") == []  # dropped
    stats = emulator.admin("/admin/stats")
    assert stats["streamingRowsCommitted"] == 12
    assert stats["scopedTokensIssued"] >= 1


def test_a_second_client_reopening_the_channel_sees_the_committed_offset(setup):
    emulator, key = setup
    first = client(emulator, key, "run-1")
    channel, _ = first.open_channel("RESUME_CH")
    channel.append_rows([{"id": i, "name": "x"} for i in range(5)], "0", "4")
    channel.wait_for_commit(lambda token: token == "4", timeout_seconds=60)
    channel.close()
    first.close()

    second = client(emulator, key, "run-2")
    channel, status = second.open_channel("RESUME_CH")
    assert status.latest_committed_offset_token == "4"
    # Resume from the next offset: nothing committed is sent twice.
    channel.append_rows([{"id": i, "name": "y"} for i in range(5, 8)], "5", "7")
    channel.wait_for_commit(lambda token: token == "7", timeout_seconds=60)
    channel.close(drop=True)
    second.close()
    assert sorted(int(row[0]) for row in table_rows(emulator)) == list(range(8))
    listed = emulator.admin("/admin/channels")
    assert listed == []


def test_sdk_file_mode_writes_files_to_the_pipes_stage_and_every_row_lands_once(staged_setup):
    """With more rows buffered than `max_buffered_kb_for_rowset_mode` allows (1 KB here; the SDK moves there on
    its own as its input grows), the SDK writes encrypted zstd NDJSON files to the stage location `:pipe-info`
    gave it and registers them with `/filebuffer`; the emulator reads them back, decrypts them and loads them."""
    emulator, key = staged_setup
    sdk = client(emulator, key, "files", max_buffered_kb_for_rowset_mode="1")
    channel, _ = sdk.open_channel("FILES_CH")
    for start in range(0, 5_000, 1_000):
        channel.append_rows([{"id": i, "name": f"row {i}"} for i in range(start, start + 1_000)],
                            str(start), str(start + 999))
    channel.wait_for_commit(lambda token: token is not None and int(token) >= 4_999, timeout_seconds=60)
    channel.close()
    sdk.close()

    stats = emulator.admin("/admin/stats")
    assert stats["streamingFileFragments"] >= 1  # the file mode was used, not inline appends
    rows = table_rows(emulator)
    assert sorted(int(row[0]) for row in rows) == list(range(5_000))  # each row exactly once
    assert {row[1] for row in rows if row[0] == "4321"} == {"row 4321"}
