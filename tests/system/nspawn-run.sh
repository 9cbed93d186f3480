#!/bin/sh
# usage: nspawn-run.sh STAGE_DIR INSIDE_SCRIPT
# Boots this machine's own OS read-only under a tmpfs overlay with systemd as PID 1 (systemd-nspawn, private
# network: only lo), bind-mounts STAGE_DIR read-only at /opt/stage, runs /opt/stage/INSIDE_SCRIPT inside,
# then powers the container off. Nothing on the host changes. Exit status: the inside script's, or 77 when
# the container cannot boot here (the caller reports that as a skip, with the reason).
# Recipe: ../shared/reference/systemd-testing.md §3.2.
set -u
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v systemd-nspawn >/dev/null || { echo "SKIP: systemd-nspawn is not installed (apt: systemd-container)"; exit 77; }
STAGE=$(realpath "$1"); INSIDE=$2
WORK=$(mktemp -d); LOG=$WORK/nspawn.log; NAME=snowtest-$$
OPTS="--register=no --keep-unit --volatile=overlay --private-network --console=read-only -M $NAME --bind-ro=$STAGE:/opt/stage"
T0=$(date +%s)
mkdir "$WORK/root"
timeout 600 unshare --mount --propagation private sh -c \
    "mount --bind / $WORK/root && exec systemd-nspawn $OPTS -D $WORK/root -b -- systemd.unit=basic.target" >"$LOG" 2>&1 &
LAUNCHER=$!
desc() { for c in $(ps -o pid= --ppid "$1"); do
           if [ "$(cat /proc/$c/comm 2>/dev/null)" = "$2" ]; then echo "$c"; return 0; fi
           desc "$c" "$2" && return 0; done; return 1; }
INIT=; i=0
until INIT=$(desc $LAUNCHER systemd); do
    i=$((i+1))
    if [ $i -ge 150 ] || ! kill -0 $LAUNCHER 2>/dev/null; then
        echo "SKIP: the container did not boot on this machine:"; tail -20 "$LOG"; rm -rf "$WORK"; exit 77
    fi
    sleep 0.2
done
IN() { timeout 300 nsenter -t "$INIT" -a "$@"; }
i=0; until IN test -S /run/systemd/private; do
    i=$((i+1)); [ $i -lt 150 ] || { echo "SKIP: systemd in the container never came up:"; tail -20 "$LOG"; exit 77; }
    sleep 0.2
done
echo "container booted ($(IN systemctl is-system-running --wait)) after $(( $(date +%s) - T0 )) s"
IN "/opt/stage/$INSIDE"; rc=$?
kill -s RTMIN+4 "$INIT"
wait $LAUNCHER
echo "container stopped; total $(( $(date +%s) - T0 )) s"
rm -rf "$WORK"
exit $rc
