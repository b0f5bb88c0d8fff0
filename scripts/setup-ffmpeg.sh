#!/usr/bin/env bash
# Installs ffmpeg (with ffprobe), which SpatialClaw uses to extract video frames for the video
# benchmarks. Idempotent: does nothing when both tools are already on PATH.
# Debian/Ubuntu only (apt-get); elsewhere it says what to install and exits non-zero.
set -euo pipefail

if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; then
    echo "setup-ffmpeg: ffmpeg already installed ($(command -v ffmpeg))"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-ffmpeg: ffmpeg is missing and apt-get is not available." >&2
    echo "Install ffmpeg with your package manager (e.g. 'brew install ffmpeg', 'dnf install ffmpeg')" >&2
    echo "or set SPATIALCLAW_FFMPEG / SPATIALCLAW_FFPROBE to the binaries." >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "setup-ffmpeg: need root (or sudo) to run apt-get install ffmpeg" >&2
        exit 1
    fi
fi

echo "setup-ffmpeg: installing ffmpeg with apt-get"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
ffmpeg -version | head -n 1
