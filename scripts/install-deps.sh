#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and test snowpiped: system -dev packages through apt
# (with a lock timeout and retries, since apt may be busy) and the Python venv for the SDK compatibility tests.
# Safe to run repeatedly: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# gcc and libc6-dev build the benchmark's C creator and probe (make bench); sudo: the container test walks the
# README's service section as printed, as a user with sudo rights; prometheus: its promtool checks the metrics endpoint.
APT_PACKAGES=(libssl-dev libsystemd-dev libsqlite3-dev zlib1g-dev libzstd-dev pkg-config openssl gzip python3-venv systemd sqlite3 systemd-container lintian gcc libc6-dev sudo prometheus)

missing=()
for package in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if ((${#missing[@]} > 0)); then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    echo "installing apt packages: ${missing[*]}"
    for attempt in 1 2 3 4 5; do
        if $SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq &&
            $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
                --no-install-recommends "${missing[@]}"; then
            break
        fi
        if [ "$attempt" = 5 ]; then
            echo "apt-get failed 5 times; install these by hand: ${missing[*]}" >&2
            exit 1
        fi
        echo "apt-get failed (attempt $attempt); retrying in $((attempt * 10)) s" >&2
        sleep $((attempt * 10))
    done
fi

# The Python venv: the official Snowpipe SDK (pinned per reference/protocol-notes.md §1.1: snowflake-ingest
# breaks with connector 5.x), PyJWT + cryptography to verify our JWTs independently, pytest to run it all.
VENV=.venv
STAMP="$VENV/.snowpiped-requirements"
if [ ! -f "$STAMP" ] || ! cmp -s scripts/requirements.txt "$STAMP"; then
    python3 -m venv "$VENV"
    for attempt in 1 2 3; do
        if "$VENV/bin/pip" install -q --disable-pip-version-check -r scripts/requirements.txt; then break; fi
        if [ "$attempt" = 3 ]; then echo "pip install failed 3 times" >&2; exit 1; fi
        sleep $((attempt * 10))
    done
    cp scripts/requirements.txt "$STAMP"
fi
