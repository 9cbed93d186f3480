#!/bin/sh
# usage: with-journald.sh JOURNAL_DIR CMD [ARGS...]
# Runs CMD with a private systemd-journald in its own mount namespace (the host's journal is never touched);
# journal files are left in JOURNAL_DIR. Recipe: ../shared/reference/systemd-testing.md §1.2.
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
[ -x /lib/systemd/systemd-journald ] || { echo "SKIP: systemd-journald is not installed"; exit 77; }
JDIR=$(realpath "$1"); shift; mkdir -p "$JDIR"
exec unshare --mount --propagation private sh -eu -c '
JDIR=$1; shift
mkdir -p /run/systemd/journal /run/log/journal /var/log/journal
mount -t tmpfs -o mode=0755 tmpfs /run/systemd/journal
mount --bind "$JDIR" /run/log/journal
mount -t tmpfs tmpfs /var/log/journal
/lib/systemd/systemd-journald </dev/null >"$JDIR/journald.out" 2>&1 &
JPID=$!
i=0; until [ -S /run/systemd/journal/socket ]; do i=$((i+1)); [ $i -lt 100 ] || { echo "journald did not start" >&2; kill $JPID; exit 1; }; sleep 0.05; done
set +e
"$@"
rc=$?
journalctl --sync 2>/dev/null || sleep 0.3
kill -TERM $JPID; wait $JPID
exit $rc
' sh "$JDIR" "$@"
