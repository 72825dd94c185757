#!/usr/bin/env bash
# Echo cancellation figures of both microphone-processing backends (docs/PERFORMANCE.md,
# "Echo cancellation"). Builds nothing: pass the build directory that holds bench_erle
# (cmake --build BUILD_DIR --target bench_erle).
#
#   bench/aec/run.sh BUILD_DIR [extra bench_erle options, e.g. --save-dir /tmp/aec]
#
# Three scenarios, each a Markdown table (one row per backend and stage set):
#   1. the reference room: 90 ms delay, 150 ms room, ERL 10 dB; the processors are told the
#      true delay;
#   2. the same room, the processors told nothing (device delay 0 ms);
#   3. a worse room: 140 ms delay, 250 ms room, ERL 6 dB, true delay reported.
# Figures only; never fails on a figure.
set -euo pipefail

if [[ $# -lt 1 || ! -d $1 ]]; then
    echo "usage: $0 BUILD_DIR [bench_erle options]   (with bench_erle built)" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd)
shift
BENCH=$BUILD/bench/aec/bench_erle
[[ -x $BENCH ]] || { echo "missing $BENCH (build the bench_erle target first)" >&2; exit 2; }
command -v espeak-ng >/dev/null || { echo "espeak-ng is needed (apt-get install espeak-ng)" >&2; exit 2; }

echo "# diyuma echo cancellation benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# command: $0 $BUILD $*"
echo "# $(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) cores;" \
    "kernel $(uname -r); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# webrtc-audio-processing $(pkg-config --modversion webrtc-audio-processing 2>/dev/null || echo '?')," \
    "speexdsp $(pkg-config --modversion speexdsp 2>/dev/null || echo '?')"
echo
echo "## 1. reference room, true delay reported"
"$BENCH" "$@"
echo
echo "## 2. reference room, device delay unknown (0 ms reported)"
"$BENCH" --reported-delay-ms 0 "$@"
echo
echo "## 3. worse room: 140 ms delay, 250 ms room, ERL 6 dB"
"$BENCH" --delay-ms 140 --room-ms 250 --erl-db 6 "$@"
echo
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
