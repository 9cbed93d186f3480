#!/usr/bin/env bash
# The systemd service test: builds the .deb, boots a real systemd in a container and runs
# inside-service-test.sh there. When the container cannot boot on this machine it says so and skips.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash packaging/build-deb.sh >/tmp/snowpiped-deb.log || { cat /tmp/snowpiped-deb.log; exit 1; }
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir "$STAGE/deb" "$STAGE/config"
cp .build-deb/snowpiped_*_amd64.deb "$STAGE/deb/"
cp "$(swift build --show-bin-path)/snowpipe-emulator" "$STAGE/"
cp config/emulator.try-service.json config/snowpiped.try-service.yaml "$STAGE/config/"
bash tests/system/extract-walk.sh README.md "$STAGE/walk" >/dev/null
cp tests/system/inside-service-test.sh "$STAGE/"
chmod -R a+rX "$STAGE"
chmod 755 "$STAGE/inside-service-test.sh"
status=0
bash tests/system/nspawn-run.sh "$STAGE" inside-service-test.sh | tee /tmp/snowpiped-container.log || status=${PIPESTATUS[0]}
if [ "$status" = 77 ]; then
    echo "container service test SKIPPED: $(grep -m1 '^SKIP' /tmp/snowpiped-container.log || echo 'the container cannot boot here')"
    exit 0
fi
[ "$status" = 0 ] && grep -q SERVICE-TEST-OK /tmp/snowpiped-container.log || { echo "container service test FAILED"; exit 1; }
echo "container service test passed"
