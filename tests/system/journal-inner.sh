#!/usr/bin/env bash
# Runs inside with-journald.sh: the emulator and `snowpiped run --log-target journal`, one good and one bad
# CSV, until both are final; then a clean stop. Usage: journal-inner.sh BIN_DIR WORK_DIR
set -euo pipefail
BIN=$1; WORK=$2
mkdir -p "$WORK/drop" "$WORK/state"
"$BIN/snowpiped" keygen --out "$WORK/key.p8" >/dev/null
python3 - "$WORK" "$(cat "$WORK/key.p8.pub")" <<'PY'
import json, sys
work, key = sys.argv[1], sys.argv[2]
json.dump({"account": "MYORG-MYACCT", "users": [{"name": "U", "publicKeys": [key], "pipes": ["DB.S.P"]}],
           "pipes": [{"name": "DB.S.P", "stageDirectory": f"{work}/drop", "table": "DB.S.T",
                      "columns": [{"name": "ID", "type": "NUMBER"}, {"name": "NAME", "type": "VARCHAR"}],
                      "format": {"type": "CSV", "skipHeader": 1}}], "loadDelaySeconds": 0},
          open(f"{work}/emulator.json", "w"))
PY
coproc EMU { exec "$BIN/snowpipe-emulator" --config "$WORK/emulator.json" --log-level warning; }
read -r URL <&"${EMU[0]}"
cat >"$WORK/snowpiped.yaml" <<YAML
snowflake: {account: myorg-myacct, user: u, private_key_file: $WORK/key.p8, host: 127.0.0.1, port: ${URL##*:}, scheme: http, allow_plain_http: true}
state_directory: $WORK/state
watch: [{directory: $WORK/drop, pipe: DB.S.P}]
reporter: {poll_seconds: 0.3}
YAML
"$BIN/snowpiped" run --config "$WORK/snowpiped.yaml" --log-target journal 2>"$WORK/stderr.log" &
DAEMON=$!
printf 'ID,NAME\n1,a\n2,b\n3,c\n' >"$WORK/drop/good.csv"
printf 'ID,NAME\nx,a\n' >"$WORK/drop/bad.csv"
for _ in $(seq 1 200); do
    if "$BIN/snowpiped" status --config "$WORK/snowpiped.yaml" --json 2>/dev/null | grep -q '"LOAD_FAILED" : 1' &&
        "$BIN/snowpiped" status --config "$WORK/snowpiped.yaml" --json | grep -q '"LOADED" : 1'; then break; fi
    sleep 0.1
done
kill -TERM $DAEMON; wait $DAEMON
kill $EMU_PID
