#!/usr/bin/env bash
# Static checks of the systemd files: `systemd-analyze verify` must print nothing (unknown keys only warn,
# so any output fails), the sandbox must score below 2.0 in `systemd-analyze security`, and sysusers /
# tmpfiles must apply cleanly to an empty root.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN_DIR=$(swift build --show-bin-path)
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT/usr/lib/systemd/system" "$ROOT/usr/bin" "$ROOT/usr/lib/sysusers.d" "$ROOT/usr/lib/tmpfiles.d" "$ROOT/etc"
cp -a /lib/systemd/system/. "$ROOT/usr/lib/systemd/system/"
cp systemd/snowpiped.service "$ROOT/usr/lib/systemd/system/"
cp "$BIN_DIR/snowpiped" "$ROOT/usr/bin/snowpiped"
cp systemd/snowpiped.sysusers "$ROOT/usr/lib/sysusers.d/snowpiped.conf"
cp systemd/snowpiped.tmpfiles "$ROOT/usr/lib/tmpfiles.d/snowpiped.conf"

status=0
out=$(systemd-analyze verify --man=no --root="$ROOT" snowpiped.service 2>&1) || status=$?
if [ "$status" != 0 ] || [ -n "$out" ]; then
    echo "systemd-analyze verify snowpiped.service failed (status $status):"
    echo "$out"
    exit 1
fi
echo "systemd-analyze verify: clean"

score=$(systemd-analyze security --offline=true --no-pager systemd/snowpiped.service | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security: exposure $score"
systemd-analyze security --offline=true --threshold=19 --no-pager systemd/snowpiped.service >/dev/null ||
    { echo "the unit's exposure $score is not below 2.0"; exit 1; }

systemd-sysusers --root="$ROOT" >/dev/null
grep -q '^snowpiped:' "$ROOT/etc/passwd" || { echo "sysusers did not create the snowpiped user"; exit 1; }
systemd-tmpfiles --root="$ROOT" --create snowpiped.conf
[ "$(stat -c %a "$ROOT/srv/snowpipe/incoming")" = 2775 ] || { echo "tmpfiles: wrong mode on /srv/snowpipe/incoming"; exit 1; }
echo "sysusers and tmpfiles: clean"
