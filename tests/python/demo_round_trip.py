"""The demo's client side: the official Snowpipe Python SDK submits one staged file to the emulator and
follows insertReport until the file's final status, then shows the rows that landed."""
import json
import sys
import time
import urllib.request

from snowflake.ingest.simple_ingest_manager import SimpleIngestManager, StagedFile

url, key_path, path = sys.argv[1], sys.argv[2], sys.argv[3]
port = int(url.rsplit(":", 1)[1])
sdk = SimpleIngestManager(account="myorg-myacct", user="ingest_user", pipe="DEMO_DB.PUBLIC.ORDERS_PIPE",
                          private_key=open(key_path).read(), scheme="http", host="127.0.0.1", port=port)

print(f"insertFiles {path} ->", sdk.ingest_files([StagedFile(path, None)]))
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    report = sdk.get_history()
    final = [f for f in report["files"] if f["path"] == path and f["status"] != "LOAD_IN_PROGRESS"]
    if final:
        entry = final[0]
        print(f"insertReport -> {entry['status']}: {entry['rowsInserted']} of {entry['rowsParsed']} rows "
              f"(nextBeginMark {report['nextBeginMark']})")
        break
    time.sleep(0.5)
else:
    sys.exit(f"no final status for {path} within 30 s")

with urllib.request.urlopen(f"{url}/admin/rows?table=DEMO_DB.PUBLIC.ORDERS") as response:
    rows = json.load(response)["rows"]
print(f"DEMO_DB.PUBLIC.ORDERS now holds {len(rows)} rows; from this file:")
for row in rows:
    if row[3] == path:
        print("  ", row[:3])
