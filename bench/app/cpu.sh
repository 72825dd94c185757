#!/usr/bin/env bash
# The desktop app's CPU use in a 4-person video call (docs/PERFORMANCE.md, section 5.3).
# Builds nothing: pass the build directory that holds diyuma-relay, diyuma-cli and app/diyuma.
#
#   bench/app/cpu.sh BUILD_DIR
#
# Per size: a fresh relay and conference, three diyuma-cli peers sending a tone and the test
# pattern at that size, and the app (under Xvfb, its audio through a private PulseAudio daemon
# with null sinks, the test pattern as its camera at the same size) joined as the fourth. After
# SETTLE_S seconds the app's CPU time (utime + stime from /proc, all threads, and per thread by
# name) is read over MEASURE_S seconds. 100 % is one core. Figures only; never fails on one.
#
# Environment: SIZES ["640x360 1280x720"]  SETTLE_S [5]  MEASURE_S [20]  KEEP_LOGS [0]
set -euo pipefail

if [[ $# -lt 1 || ! -d $1 ]]; then
    echo "usage: $0 BUILD_DIR   (with diyuma-relay, diyuma-cli and app/diyuma built)" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd)
SIZES=${SIZES:-640x360 1280x720}
SETTLE_S=${SETTLE_S:-5}
MEASURE_S=${MEASURE_S:-20}
RELAY=$BUILD/relay/diyuma-relay
CLI=$BUILD/tools/cli/diyuma-cli
APP=$BUILD/app/diyuma
for bin in "$RELAY" "$CLI" "$APP"; do
    [[ -x $bin ]] || { echo "missing $bin (build it first)" >&2; exit 2; }
done
for tool in pulseaudio pactl Xvfb; do
    command -v "$tool" >/dev/null || { echo "missing $tool (scripts/install-deps.sh)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/diyuma-bench-app-cpu.XXXXXX)
PIDS=()
stop_all() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
cleanup() {
    trap - EXIT INT TERM
    stop_all
    [[ -n ${PULSE_PID:-} ]] && { kill "$PULSE_PID" 2>/dev/null || true; wait "$PULSE_PID" 2>/dev/null || true; }
    [[ -n ${XVFB_PID:-} ]] && { kill "$XVFB_PID" 2>/dev/null || true; wait "$XVFB_PID" 2>/dev/null || true; }
    if [[ ${KEEP_LOGS:-0} == 1 ]]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

TICKS=$(getconf CLK_TCK)
# utime + stime (clock ticks) of a process or a thread, from its stat line (comm may hold spaces).
cpu_ticks() { sed 's/^.*) //' "$1" | awk '{ print $12 + $13 }'; }

echo "# diyuma app CPU in a 4-person video call  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# command: SIZES=\"$SIZES\" SETTLE_S=$SETTLE_S MEASURE_S=$MEASURE_S $0 $1"
echo "# $(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) cores;" \
    "kernel $(uname -r); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# A private PulseAudio and an X server.
# shellcheck source=../../scripts/lib/private-pulse.sh
source "$(dirname "$0")/../../scripts/lib/private-pulse.sh"
start_private_pulse "$WORK"
DISPLAY_NUM=:$((90 + RANDOM % 9))
Xvfb "$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
sleep 1
export DISPLAY=$DISPLAY_NUM

for size in $SIZES; do
    dir=$WORK/$size
    mkdir -p "$dir/config/Diyuma"
    printf '[call]\njoinLeaveSounds=false\n\n[video]\nsource=pattern\nsize=%s\n' "$size" \
        >"$dir/config/Diyuma/Diyuma Conference.conf"
    "$RELAY" --listen 127.0.0.1:0 --log-level warning >"$dir/relay.out" 2>"$dir/relay.err" &
    PIDS+=($!)
    addr=""
    for _ in $(seq 100); do
        addr=$(head -n1 "$dir/relay.out" 2>/dev/null || true)
        [[ -n $addr ]] && break
        sleep 0.05
    done
    invite=$(timeout 10 "$CLI" create --relay "$addr" | head -n1)
    total=$((SETTLE_S + MEASURE_S + 5))
    for peer in Boris:440 Carl:620 Dana:970; do
        "$CLI" join "$invite" --name "${peer%%:*}" --send-audio "tone:${peer##*:}" \
            --send-video pattern --video-size "$size" --duration "$total" \
            --stats-json "$dir/${peer%%:*}.json" 2>"$dir/${peer%%:*}.err" &
        PIDS+=($!)
    done
    XDG_CONFIG_HOME=$dir/config "$APP" --new-instance --name Anna "$invite" \
        -qwindowgeometry 1100x700+0+0 >"$dir/app.out" 2>"$dir/app.err" &
    app=$!
    PIDS+=($app)
    sleep "$SETTLE_S"
    declare -A before=()
    for t in /proc/$app/task/*; do before[$(basename "$t")]=$(cpu_ticks "$t/stat"); done
    start_all=$(cpu_ticks "/proc/$app/stat")
    start_ns=$(date +%s%N)
    sleep "$MEASURE_S"
    end_all=$(cpu_ticks "/proc/$app/stat")
    end_ns=$(date +%s%N)
    wall_s=$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN { print (b - a) / 1e9 }')
    echo "size: $size (the app sends it; three peers send it too; the app decodes three streams)"
    awk -v c=$((end_all - start_all)) -v hz="$TICKS" -v w="$wall_s" \
        'BEGIN { printf "app_cpu_percent: %.1f   (%.2f s of CPU in %.1f s)\n", 100 * c / hz / w, c / hz, w }'
    for t in /proc/$app/task/*; do
        id=$(basename "$t")
        [[ -n ${before[$id]:-} ]] || continue
        name=$(cat "$t/comm")
        d=$(($(cpu_ticks "$t/stat") - before[$id]))
        ((d > 0)) || continue
        awk -v n="$name" -v id="$id" -v d="$d" -v hz="$TICKS" -v w="$wall_s" \
            'BEGIN { printf "  %6.1f %%  thread %s (%s)\n", 100 * d / hz / w, n, id }'
    done | sort -rn | head -8
    unset before
    stop_all
    for peer in Boris Carl Dana; do
        [[ -s $dir/$peer.json ]] || continue
        frames=$(jq -r '.remote.Anna.video.frames_decoded // 0' "$dir/$peer.json")
        echo "  $peer decoded $frames frames of the app's video"
    done
done
