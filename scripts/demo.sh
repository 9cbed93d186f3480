#!/usr/bin/env bash
# The demo: a Snowpipe emulator on 127.0.0.1, a key pair registered with it, a CSV staged, and a round trip
# with the official Python SDK (insertFiles, then insertReport until LOADED), ending with the loaded rows.
#   scripts/demo.sh                  run the round trip, then stop
#   scripts/demo.sh --emulator-only  just serve the emulator (Ctrl-C to stop)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN_DIR=$(swift build --show-bin-path)
DEMO=demo
mkdir -p "$DEMO/stage/orders"
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
        "stageDirectory": f"{demo}/stage",
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

if [ "${1:-}" = "--emulator-only" ]; then
    echo "Serving the emulator with $DEMO/emulator.json (pipe DEMO_DB.PUBLIC.ORDERS_PIPE, stage $DEMO/stage)."
    echo "Loaded rows land in $DEMO/emulator.sqlite. Ctrl-C to stop."
    exec "$BIN_DIR/snowpipe-emulator" --config "$DEMO/emulator.json"
fi

coproc EMULATOR { exec "$BIN_DIR/snowpipe-emulator" --config "$DEMO/emulator.json" --log-level warning; }
trap 'kill "$EMULATOR_PID" 2>/dev/null || true' EXIT
read -r URL <&"${EMULATOR[0]}"
echo "emulator listening on $URL"

STAMP=$(date +%s)
printf 'ID,ITEM,AMOUNT\n1,apple,1.50\n2,pear,2.25\n3,plum,0.75\n' >"$DEMO/stage/orders/orders-$STAMP.csv"
echo "staged orders/orders-$STAMP.csv (3 rows)"

.venv/bin/python tests/python/demo_round_trip.py "$URL" "$DEMO/rsa_key.p8" "orders/orders-$STAMP.csv"
