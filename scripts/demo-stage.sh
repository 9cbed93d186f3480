#!/usr/bin/env bash
# The upload-mode demo (make demo-stage): a plain local folder, demo/stage-drop, whose files the real daemon
# uploads to an encrypted internal stage of the bundled emulator (the stage's S3 is moto on loopback, with
# signatures checked), verifies, and registers with insertFiles; the emulator reads each object back, decrypts
# it and loads its rows.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN_DIR=$(swift build --show-bin-path)
DEMO=$PWD/demo/stage
rm -rf "$DEMO"
mkdir -p "$DEMO/drop" "$DEMO/state"
chmod 700 "$DEMO"
"$BIN_DIR/snowpiped" keygen --out "$DEMO/rsa_key.p8" --user INGEST_USER >/dev/null

# moto serves until its stdin closes: it reads a FIFO this script holds open on fd 3.
mkfifo "$DEMO/moto.in"
.venv/bin/python tests/fixtures/moto_stage.py <"$DEMO/moto.in" >"$DEMO/moto.out" 2>/dev/null &
MOTO_PID=$!
exec 3>"$DEMO/moto.in"
DAEMON_PID=""
EMULATOR_PID=""
cleanup() {
    [ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null || true
    [ -n "$EMULATOR_PID" ] && kill "$EMULATOR_PID" 2>/dev/null || true
    exec 3>&-
    wait "$MOTO_PID" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 300); do [ -s "$DEMO/moto.out" ] && break; sleep 0.1; done
MOTO_JSON=$(head -n 1 "$DEMO/moto.out")
S3=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["endpoint"])' "$MOTO_JSON")
echo "S3 (moto, signatures checked) on $S3"

python3 - "$DEMO" "$MOTO_JSON" <<'PY'
import json, sys
demo, moto = sys.argv[1], json.loads(sys.argv[2])
json.dump({
    "account": "MYORG-MYACCT",
    "users": [{"name": "INGEST_USER", "publicKeyFiles": [f"{demo}/rsa_key.p8.pub"],
               "pipes": ["DEMO_DB.PUBLIC.ORDERS_PIPE"]}],
    "stages": [{"name": "DEMO_DB.PUBLIC.INGEST_STAGE", "encryption": "SNOWFLAKE_FULL"}],
    "stageStorage": {"endpoint": moto["endpoint"], "region": moto["region"], "bucket": moto["bucket"],
                     "accessKeyID": moto["admin"]["accessKeyID"], "secretAccessKey": moto["admin"]["secretAccessKey"],
                     "roleARN": moto["roleARN"]},
    "pipes": [{"name": "DEMO_DB.PUBLIC.ORDERS_PIPE", "stage": "DEMO_DB.PUBLIC.INGEST_STAGE",
               "table": "DEMO_DB.PUBLIC.ORDERS",
               "columns": [{"name": "ID", "type": "NUMBER"}, {"name": "ITEM", "type": "VARCHAR"},
                           {"name": "AMOUNT", "type": "FLOAT"}],
               "format": {"type": "CSV", "skipHeader": 1}, "onError": "SKIP_FILE"}],
    "loadDelaySeconds": 1,
}, open(f"{demo}/emulator.json", "w"), indent=2)
PY
"$BIN_DIR/snowpipe-emulator" --config "$DEMO/emulator.json" --log-level warning >"$DEMO/emulator.out" &
EMULATOR_PID=$!
for _ in $(seq 1 300); do [ -s "$DEMO/emulator.out" ] && break; sleep 0.1; done
URL=$(head -n 1 "$DEMO/emulator.out")
PORT=${URL##*:}
echo "emulator listening on $URL"

cat >"$DEMO/snowpiped.yaml" <<YAML
snowflake:
  account: myorg-myacct
  user: ingest_user
  private_key_file: $DEMO/rsa_key.p8
  host: 127.0.0.1
  port: $PORT
  scheme: http
  allow_plain_http: true
state_directory: $DEMO/state
watch:
  - directory: $DEMO/drop
    pipe: DEMO_DB.PUBLIC.ORDERS_PIPE
    stage:
      kind: internal
      name: DEMO_DB.PUBLIC.INGEST_STAGE
      path: incoming
      endpoint: $S3
batching:
  linger_ms: 200
reporter:
  poll_seconds: 1
YAML

"$BIN_DIR/snowpiped" check --config "$DEMO/snowpiped.yaml"
"$BIN_DIR/snowpiped" run --config "$DEMO/snowpiped.yaml" 2> >(tee "$DEMO/snowpiped.log" >&2) &
DAEMON_PID=$!
until grep -q "ready" "$DEMO/snowpiped.log" 2>/dev/null; do sleep 0.2; done

echo "--- dropping orders-1.csv and orders-2.csv into the plain folder $DEMO/drop"
printf 'ID,ITEM,AMOUNT\n1,apple,1.50\n2,pear,2.25\n3,plum,0.75\n' >"$DEMO/.orders-1.csv.tmp"
mv "$DEMO/.orders-1.csv.tmp" "$DEMO/drop/orders-1.csv"
printf 'ID,ITEM,AMOUNT\n4,fig,3\n5,kiwi,4\n' >"$DEMO/.orders-2.csv.tmp"
mv "$DEMO/.orders-2.csv.tmp" "$DEMO/drop/orders-2.csv"
for _ in $(seq 1 150); do
    if grep -q "LOADED orders-1.csv" "$DEMO/snowpiped.log" && grep -q "LOADED orders-2.csv" "$DEMO/snowpiped.log"; then
        break
    fi
    sleep 0.2
done
echo "--- the table, as the emulator loaded it from the decrypted stage objects"
python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' \
    "$URL/admin/rows?table=DEMO_DB.PUBLIC.ORDERS"
echo "--- snowpiped status"
"$BIN_DIR/snowpiped" status --config "$DEMO/snowpiped.yaml"
