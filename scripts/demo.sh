#!/usr/bin/env bash
# The demo: the Snowpipe emulator on 127.0.0.1 and the real snowpiped daemon watching demo/drop (which is the
# pipe's stage as seen locally). A CSV dropped into the folder ends LOADED with its row count, in the daemon's
# log and in `snowpiped status`.
#   scripts/demo.sh                  drop two files (one good, one with a bad row), show the outcome, stop
#   scripts/demo.sh --keep-running   same, then keep both running: drop your own files into demo/drop
#   scripts/demo.sh --emulator-only  just serve the emulator (Ctrl-C to stop)
#   scripts/demo.sh --stage          upload mode: a plain folder, each file uploaded by the daemon to an encrypted
#                                    internal stage (its S3 is moto on loopback), verified, then loaded
set -euo pipefail
cd "$(dirname "$0")/.."
BIN_DIR=$(swift build --show-bin-path)
DEMO=$PWD/demo
rm -rf "$DEMO/state" "$DEMO/drop" "$DEMO/emulator.sqlite"
mkdir -p "$DEMO/drop" "$DEMO/state"
chmod 700 "$DEMO"

if [ ! -f "$DEMO/rsa_key.p8" ]; then
    "$BIN_DIR/snowpiped" keygen --out "$DEMO/rsa_key.p8" --user INGEST_USER >/dev/null
fi
PUBLIC_KEY=$(cat "$DEMO/rsa_key.p8.pub")

python3 - "$DEMO" "$PUBLIC_KEY" <<'PY'
import json, sys
demo, public_key = sys.argv[1], sys.argv[2]
config = {
    "account": "MYORG-MYACCT",
    "users": [{"name": "INGEST_USER", "publicKeys": [public_key], "pipes": ["DEMO_DB.PUBLIC.ORDERS_PIPE"]}],
    "pipes": [{
        "name": "DEMO_DB.PUBLIC.ORDERS_PIPE",
        "stageDirectory": f"{demo}/drop",
        "stageLocation": "s3://demo-bucket/",
        "table": "DEMO_DB.PUBLIC.ORDERS",
        "columns": [{"name": "ID", "type": "NUMBER"}, {"name": "ITEM", "type": "VARCHAR"},
                    {"name": "AMOUNT", "type": "FLOAT"}],
        "format": {"type": "CSV", "skipHeader": 1},
        "onError": "SKIP_FILE",
    }],
    "loadDelaySeconds": 1,
    "databasePath": f"{demo}/emulator.sqlite",
}
json.dump(config, open(f"{demo}/emulator.json", "w"), indent=2)
PY

if [ "${1:-}" = "--stage" ]; then
    exec bash scripts/demo-stage.sh
fi

if [ "${1:-}" = "--emulator-only" ]; then
    echo "Serving the emulator with $DEMO/emulator.json (pipe DEMO_DB.PUBLIC.ORDERS_PIPE, stage $DEMO/drop)."
    exec "$BIN_DIR/snowpipe-emulator" --config "$DEMO/emulator.json"
fi

coproc EMULATOR { exec "$BIN_DIR/snowpipe-emulator" --config "$DEMO/emulator.json" --log-level warning; }
DAEMON_PID=""
cleanup() {
    [ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null || true
    kill "$EMULATOR_PID" 2>/dev/null || true
}
trap cleanup EXIT
read -r URL <&"${EMULATOR[0]}"
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
batching:
  linger_ms: 200
reporter:
  poll_seconds: 1
YAML

"$BIN_DIR/snowpiped" check --config "$DEMO/snowpiped.yaml"
"$BIN_DIR/snowpiped" run --config "$DEMO/snowpiped.yaml" 2> >(tee "$DEMO/snowpiped.log" >&2) &
DAEMON_PID=$!
until grep -q "ready" "$DEMO/snowpiped.log" 2>/dev/null; do sleep 0.2; done

echo "--- dropping orders-1.csv (3 rows, renamed in: taken at once) and orders-2.csv (a bad AMOUNT on line 3;"
echo "    written in place: taken once quiet for settle_seconds, 5 s) into $DEMO/drop"
printf 'ID,ITEM,AMOUNT\n1,apple,1.50\n2,pear,2.25\n3,plum,0.75\n' >"$DEMO/drop/.orders-1.csv.tmp"
mv "$DEMO/drop/.orders-1.csv.tmp" "$DEMO/drop/orders-1.csv"
printf 'ID,ITEM,AMOUNT\n4,fig,3\n5,kiwi,lots\n' >"$DEMO/drop/orders-2.csv"

for _ in $(seq 1 150); do
    if grep -q "orders-1.csv" "$DEMO/snowpiped.log" && grep -q "LOAD_FAILED orders-2.csv" "$DEMO/snowpiped.log" &&
        grep -q "LOADED orders-1.csv" "$DEMO/snowpiped.log"; then break; fi
    sleep 0.2
done
echo "--- snowpiped status"
"$BIN_DIR/snowpiped" status --config "$DEMO/snowpiped.yaml"
echo "--- snowpiped status $DEMO/drop/orders-1.csv"
"$BIN_DIR/snowpiped" status --config "$DEMO/snowpiped.yaml" "$DEMO/drop/orders-1.csv"

if [ "${1:-}" = "--keep-running" ]; then
    echo "--- running: drop CSV files (ID,ITEM,AMOUNT with a header) into $DEMO/drop; Ctrl-C to stop"
    wait "$DAEMON_PID"
fi
