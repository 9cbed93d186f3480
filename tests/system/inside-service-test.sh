#!/bin/sh
# Runs inside the booted container (see nspawn-run.sh): installs the .deb, runs the service against the
# emulator on the container's loopback, and checks what users rely on: READY before active, the STATUS line,
# journal fields, the watchdog restarting a stuck daemon without losing files, and a clean stop.
set -eu
STAGE=/opt/stage
fail() { echo "FAIL: $*"; journalctl -u snowpiped --no-pager -n 40 || true; exit 1; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    limit=$1; what=$2; shift 2; i=0
    until "$@" >/dev/null 2>&1; do i=$((i+1)); [ $i -lt $((limit * 5)) ] || fail "timed out waiting for $what"; sleep 0.2; done
}
rm -f /usr/sbin/policy-rc.d   # the image's Docker-style policy-rc.d would block starts from maintainer scripts
dpkg -i $STAGE/snowpiped.deb >/dev/null 2>&1 || fail "dpkg -i"
id snowpiped >/dev/null || fail "the snowpiped user was not created"
[ "$(stat -c %a /srv/snowpipe/incoming)" = 2775 ] || fail "tmpfiles did not create /srv/snowpipe/incoming"
systemctl is-enabled --quiet snowpiped || fail "the service is not enabled"

# Key pair and emulator (a transient service on 127.0.0.1:18080, stage = the watched directory).
snowpiped keygen --out /etc/snowpiped/rsa_key.p8 --user INGEST_USER >/dev/null
chown snowpiped:snowpiped /etc/snowpiped/rsa_key.p8
python3 - "$(cat /etc/snowpiped/rsa_key.p8.pub)" <<'PY'
import json, sys
json.dump({"account": "MYORG-MYACCT",
           "users": [{"name": "INGEST_USER", "publicKeys": [sys.argv[1]], "pipes": ["DB.S.PIPE"]}],
           "pipes": [{"name": "DB.S.PIPE", "stageDirectory": "/srv/snowpipe/incoming", "table": "DB.S.T",
                      "columns": [{"name": "ID", "type": "NUMBER"}, {"name": "NAME", "type": "VARCHAR"}],
                      "format": {"type": "CSV", "skipHeader": 1}}],
           "loadDelaySeconds": 0}, open("/run/emulator.json", "w"))
PY
systemd-run --unit=emulator --quiet $STAGE/snowpipe-emulator --config /run/emulator.json --port 18080
wait_for 20 "the emulator to listen" python3 -c "import socket; socket.create_connection(('127.0.0.1', 18080), 1)"
cat >/etc/snowpiped/snowpiped.yaml <<'YAML'
snowflake:
  account: myorg-myacct
  user: ingest_user
  private_key_file: /etc/snowpiped/rsa_key.p8
  host: 127.0.0.1
  port: 18080
  scheme: http
  allow_plain_http: true
watch:
  - directory: /srv/snowpipe/incoming
    pipe: DB.S.PIPE
reporter:
  poll_seconds: 1
YAML
# A key root created for itself passes root's own reading but not the service user's: check says so.
chown root:root /etc/snowpiped/rsa_key.p8
OUT=$(snowpiped check --offline --config /etc/snowpiped/snowpiped.yaml 2>&1) && fail "check passed a key the service cannot read"
echo "$OUT" | grep -q "service user snowpiped cannot read it" || fail "check did not name the unreadable key: $OUT"
chown snowpiped:snowpiped /etc/snowpiped/rsa_key.p8
snowpiped check --offline --config /etc/snowpiped/snowpiped.yaml >/dev/null || fail "check after chown"
systemctl reset-failed snowpiped 2>/dev/null || true
# The journal from here on: the package's first start (on the placeholder configuration) came before.
CURSOR=$(journalctl -n 1 --show-cursor -q -o cat | sed -n 's/^-- cursor: //p')
systemctl restart snowpiped || fail "systemctl restart"
# Type=notify: `systemctl restart` returns only after READY=1, so the unit is active and has a STATUS line.
[ "$(systemctl is-active snowpiped)" = active ] || fail "not active after start"
systemctl show -p StatusText --value snowpiped | grep -Eq "watching 1 director|pending" || fail "no STATUS line after READY"

for n in 1 2 3; do printf 'ID,NAME\n%s,a\n%s,b\n' $n $((n + 10)) >/srv/snowpipe/incoming/f$n.csv; done
loaded() { [ "$(journalctl -u snowpiped SNOWPIPED_STATUS=LOADED -o json --no-pager | grep -c '"SNOWPIPED_ROWS_INSERTED":"2"')" = "$1" ]; }
wait_for 60 "3 LOADED journal entries with their row counts" loaded 3
journalctl -u snowpiped SNOWPIPED_STATUS=LOADED -o json --no-pager | grep -q '"SNOWPIPED_PATH":"/srv/snowpipe/incoming/f2.csv"' ||
    fail "SNOWPIPED_PATH missing"
wait_for 20 "systemctl status to show the STATUS line with 3 loaded" \
    sh -c 'systemctl status --no-pager snowpiped | grep -q "Status: \".*since start 3 loaded"'

systemctl status --no-pager snowpiped | grep -q "in the outbox 3 loaded" || fail "no outbox totals in the STATUS line"
# A healthy start writes nothing at priority err.
[ -z "$(journalctl -u snowpiped -p err --after-cursor "$CURSOR" --no-pager -q)" ] ||
    fail "errors in the journal of a healthy start: $(journalctl -u snowpiped -p err --after-cursor "$CURSOR" --no-pager -q)"
# The offline check at start is one line.
CHECK_LINES=$(journalctl -u snowpiped --after-cursor "$CURSOR" --no-pager -q | grep -c 'configuration .*OK\|private key\|fingerprint\|JWT')
[ "$CHECK_LINES" = 1 ] || fail "the start-up check logs $CHECK_LINES lines, not one"

# The watchdog: a stuck daemon is killed and restarted, and no file is lost.
mkdir -p /run/systemd/system/snowpiped.service.d
printf '[Service]\nWatchdogSec=3\nRestartSec=2\nEnvironment=SNOWPIPED_TEST_HOOKS=1\n' \
    >/run/systemd/system/snowpiped.service.d/watchdog.conf
systemctl daemon-reload
systemctl restart snowpiped
touch /var/lib/snowpiped/.test-stall
printf 'ID,NAME\n4,a\n14,b\n' >/srv/snowpipe/incoming/f4.csv
wait_for 30 "the watchdog to kill the stuck daemon" sh -c 'journalctl -u snowpiped --no-pager | grep -q "Watchdog timeout"'
rm -f /var/lib/snowpiped/.test-stall
wait_for 30 "the restart" sh -c '[ "$(systemctl show -p NRestarts --value snowpiped)" -ge 1 ]'
wait_for 60 "f4.csv to be LOADED after the restart" loaded 4

systemctl stop snowpiped
journalctl -u snowpiped --no-pager | grep -q "snowpiped stopped" || fail "no clean stop in the journal"
[ "$(systemctl is-active snowpiped)" = inactive ] || fail "not inactive after stop"
echo "SERVICE-TEST-OK"
