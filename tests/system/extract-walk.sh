#!/usr/bin/env bash
# usage: extract-walk.sh README.md OUT_DIR
# Writes each ```sh block that follows a `<!-- walk: NAME -->` line of the README to OUT_DIR/NAME.sh, exactly as
# printed: the container test runs these, so the README's service section cannot drift from what works.
set -euo pipefail
README=$1; OUT=$2
mkdir -p "$OUT"
awk -v out="$OUT" '
    /^<!-- walk: [a-z-]+ -->$/ { name = $3; next }
    name != "" && /^```sh$/ { file = out "/" name ".sh"; printf "" > file; capture = 1; next }
    capture && /^```$/ { capture = 0; close(file); count++; name = ""; next }
    capture { print >> file }
    END { if (count == 0) { print "no walk blocks in the README" > "/dev/stderr"; exit 1 } }
' "$README"
ls "$OUT"
