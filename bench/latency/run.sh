#!/usr/bin/env bash
# Mouth-to-ear latency through the relay on loopback (docs/PERFORMANCE.md). Builds nothing:
# pass the build directory that holds diyuma-relay, diyuma-cli and bench_latency_clicks.
#
#   bench/latency/run.sh BUILD_DIR
#
# Per run: a fresh relay on 127.0.0.1 (port 0), `diyuma-cli create`, a listener that records,
# then a talker that sends a track of 5 ms chirps. Each chirp's onset in the listener's
# recording (record.start_unix_ms + position) minus its onset in the sent file
# (send.start_unix_ms + position) is one mouth-to-ear latency. Prints per-run and pooled
# median and p95 in ms and how many chirps were found. Figures only; never fails on a figure.
#
# Environment (defaults in brackets): RUNS [3]  DURATION [10] seconds of chirps
#   PERIOD_MS [507]  KEEP_LOGS [0] (1: keep the temp dir with recordings and stats)
set -euo pipefail

if [[ $# -lt 1 || ! -d $1 ]]; then
    echo "usage: $0 BUILD_DIR   (with diyuma-relay, diyuma-cli and bench_latency_clicks built)" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd)
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
PERIOD_MS=${PERIOD_MS:-507}
RELAY=$BUILD/relay/diyuma-relay
CLI=$BUILD/tools/cli/diyuma-cli
CLICKS=$BUILD/bench/latency/bench_latency_clicks
for bin in "$RELAY" "$CLI" "$CLICKS"; do
    [[ -x $bin ]] || { echo "missing $bin (build it first)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/diyuma-bench-latency.XXXXXX)
RELAY_PID=""
LISTENER_PID=""
cleanup() {
    for pid in $LISTENER_PID $RELAY_PID; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ ${KEEP_LOGS:-0} == 1 ]]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

field() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$2"; }

echo "# diyuma mouth-to-ear latency through the relay on loopback  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# command: RUNS=$RUNS DURATION=$DURATION PERIOD_MS=$PERIOD_MS $0 $1"
echo "# $(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) cores;" \
    "kernel $(uname -r); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$CLICKS" generate "$WORK/clicks.wav" --duration "$DURATION" --period-ms "$PERIOD_MS" \
    | sed 's/^/# /'

LATENCY_FILES=()
for run in $(seq "$RUNS"); do
    dir=$WORK/run$run
    mkdir -p "$dir/rec"
    "$RELAY" --listen 127.0.0.1:0 --log-level warning >"$dir/relay.out" 2>"$dir/relay.err" &
    RELAY_PID=$!
    addr=""
    for _ in $(seq 100); do
        addr=$(head -n1 "$dir/relay.out" 2>/dev/null || true)
        [[ -n $addr ]] && break
        sleep 0.05
    done
    [[ -n $addr ]] || { echo "relay did not start:" >&2; cat "$dir/relay.err" >&2; exit 1; }

    invite=$(timeout 10 "$CLI" create --relay "$addr" | head -n1)
    [[ -n $invite ]] || { echo "diyuma-cli create printed no link" >&2; exit 1; }

    timeout $((DURATION + 20)) "$CLI" join "$invite" --name listener \
        --record-audio "$dir/rec" --duration $((DURATION + 4)) \
        --stats-json "$dir/listener.json" >"$dir/listener.out" 2>"$dir/listener.err" &
    LISTENER_PID=$!
    sleep 1
    timeout $((DURATION + 20)) "$CLI" join "$invite" --name talker \
        --send-audio "$WORK/clicks.wav" --duration $((DURATION + 1)) \
        --stats-json "$dir/talker.json" >"$dir/talker.out" 2>"$dir/talker.err" ||
        { echo "talker failed:" >&2; cat "$dir/talker.err" >&2; exit 1; }
    wait "$LISTENER_PID" || { echo "listener failed:" >&2; cat "$dir/listener.err" >&2; exit 1; }
    LISTENER_PID=""
    kill -TERM "$RELAY_PID" 2>/dev/null || true
    wait "$RELAY_PID" 2>/dev/null || true
    RELAY_PID=""

    "$CLICKS" analyze --sent "$WORK/clicks.wav" --recording "$dir/rec/talker.wav" \
        --talker-stats "$dir/talker.json" --listener-stats "$dir/listener.json" \
        --latencies-out "$dir/latencies.txt" >"$dir/analysis.txt"
    LATENCY_FILES+=("$dir/latencies.txt")
    printf 'run %s: clicks found %s of %s; median %s ms, p95 %s ms (min %s, max %s);' "$run" \
        "$(field clicks_found "$dir/analysis.txt")" "$(field clicks_sent "$dir/analysis.txt")" \
        "$(field latency_median_ms "$dir/analysis.txt")" \
        "$(field latency_p95_ms "$dir/analysis.txt")" \
        "$(field latency_min_ms "$dir/analysis.txt")" "$(field latency_max_ms "$dir/analysis.txt")"
    printf ' listener jitter-buffer delay %s ms\n' \
        "$(field listener_jitter_buffer_delay_ms "$dir/analysis.txt")"
    echo "  latencies ms: $(field latencies_ms "$dir/analysis.txt")"
done

echo "# pooled over $RUNS runs"
"$CLICKS" summarize "${LATENCY_FILES[@]}"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
