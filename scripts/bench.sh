#!/usr/bin/env bash
# make bench: builds what the benchmarks run (the release daemon and emulator with the static Swift runtime, as
# packaged; the C creator and probe) and runs bench/run.py, which prints the table and writes bench/results.json
# and BENCHMARKS.md. Run as root: the method drops the page cache before each run and runs the measured
# processes under `nice -n -20` (../shared/reference/benchmark-method.md). Extra arguments go to bench/run.py
# (e.g. `--quick`, `--only latency`, `--perf`).
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=.build-release
for product in snowpiped snowpipe-emulator snowpiped-replay; do
    swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --product "$product"
done
BIN=$(swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" --show-bin-path)
TOOLS=.build-bench
mkdir -p "$TOOLS"
cc -O2 -Wall -Wextra -Werror -o "$TOOLS/creator" bench/creator.c
cc -O2 -Wall -Wextra -Werror -o "$TOOLS/probe" bench/probe.c -lsqlite3
if [ "${1:-}" = "--upload" ]; then
    shift
    exec .venv/bin/python bench/upload.py --bin "$BIN" "$@"
fi
if [ "${1:-}" = "--stream" ]; then
    shift
    exec .venv/bin/python bench/stream.py --bin "$BIN" "$@"
fi
exec .venv/bin/python bench/run.py --bin "$BIN" --tools "$TOOLS" "$@"
