#!/usr/bin/env bash
# The journal fields, read back with journalctl -o json from a private journald: one entry per final status
# with SNOWPIPED_* fields and a priority that matches the outcome. Skips (saying why) without root.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(swift build --show-bin-path)
J=$(mktemp -d); WORK=$(mktemp -d)
trap 'rm -rf "$J" "$WORK"' EXIT
status=0
timeout 120 sh tests/system/with-journald.sh "$J" bash tests/system/journal-inner.sh "$BIN" "$WORK" || status=$?
if [ "$status" = 77 ]; then echo "journal fields test SKIPPED (needs root and systemd-journald)"; exit 0; fi
[ "$status" = 0 ] || { echo "journal fields test FAILED: the daemon run failed ($status)"; exit 1; }
fail() { echo "journal fields test FAILED: $*"; journalctl --no-pager -D "$J" -t snowpiped -o json | tail -5; exit 1; }
loaded=$(journalctl --no-pager -D "$J" SNOWPIPED_STATUS=LOADED -o json)
[ "$(printf '%s\n' "$loaded" | grep -c .)" = 1 ] || fail "expected one LOADED entry"
for field in '"SNOWPIPED_PATH":"'"$WORK"'/drop/good.csv"' '"SNOWPIPED_ROWS_INSERTED":"3"' '"SNOWPIPED_PIPE":"DB.S.P"' \
    '"PRIORITY":"5"' '"SYSLOG_IDENTIFIER":"snowpiped"' '"SNOWPIPED_REQUEST_ID":"'; do
    printf '%s' "$loaded" | grep -q "$field" || fail "LOADED entry lacks $field"
done
failed=$(journalctl --no-pager -D "$J" SNOWPIPED_STATUS=LOAD_FAILED -o json)
printf '%s' "$failed" | grep -q '"SNOWPIPED_FIRST_ERROR":"Numeric value '"'"'x'"'"' is not recognized"' ||
    fail "LOAD_FAILED entry lacks its first error"
printf '%s' "$failed" | grep -q '"PRIORITY":"3"' || fail "LOAD_FAILED is not logged at error priority"
journalctl --no-pager -D "$J" -t snowpiped -p err -o cat | grep -q "LOAD_FAILED bad.csv" || fail "-p err misses the failure"
echo "journal fields test passed"
