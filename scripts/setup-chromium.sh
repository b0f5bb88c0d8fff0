#!/usr/bin/env bash
# Installs Debian's chromium, which the report crate's browser test drives headless to check that
# the dashboard and the session reports really render. Idempotent: does nothing when
# /usr/bin/chromium is already there. Debian/Ubuntu only (apt-get); elsewhere it says what to do
# and exits non-zero. Only the distribution's package is used: no browser download of its own.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "setup-chromium: chromium already installed ($CHROMIUM)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-chromium: $CHROMIUM is missing and apt-get is not available." >&2
    echo "Install chromium with your package manager so that $CHROMIUM exists," >&2
    echo "or skip the browser test (it skips itself when chromium is missing outside CI)." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "setup-chromium: need root (or sudo) to run apt-get install chromium" >&2
        exit 1
    fi
fi

echo "setup-chromium: installing chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Fonts are recommended, not required: without them headless chromium draws no text in screenshots.
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
"$CHROMIUM" --version
