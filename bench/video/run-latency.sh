#!/usr/bin/env bash
# Glass-to-glass video latency through the relay on loopback (docs/PERFORMANCE.md). Builds
# nothing: pass the build directory with diyuma-relay, diyuma-cli and bench_video_latency.
#
#   bench/video/run-latency.sh BUILD_DIR
#
# Per run and size: a fresh relay, a receiver that records video, a sender of the test
# pattern (audio too, as in a call). bench_video_latency reads each recorded frame's stamp.
# Environment: RUNS [3]  DURATION [10]  SIZES ["640x360 1280x720"]  KEEP_LOGS [0]
set -euo pipefail
if [[ $# -lt 1 || ! -d $1 ]]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd)
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
SIZES=${SIZES:-"640x360 1280x720"}
RELAY=$BUILD/relay/diyuma-relay
CLI=$BUILD/tools/cli/diyuma-cli
ANALYZE=$BUILD/bench/video/bench_video_latency
for bin in "$RELAY" "$CLI" "$ANALYZE"; do
    [[ -x $bin ]] || { echo "missing $bin (build it first)" >&2; exit 2; }
done
WORK=$(mktemp -d /tmp/diyuma-bench-video.XXXXXX)
RELAY_PID=""
cleanup() {
    [[ -n $RELAY_PID ]] && { kill -TERM "$RELAY_PID" 2>/dev/null || true; wait "$RELAY_PID" 2>/dev/null || true; }
    if [[ ${KEEP_LOGS:-0} == 1 ]]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

echo "# diyuma glass-to-glass video latency through the relay on loopback  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# command: RUNS=$RUNS DURATION=$DURATION SIZES=\"$SIZES\" $0 $1"
echo "# $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-9s %4s %7s %8s %10s %7s %7s %7s\n' size run frames stamped median_ms p95_ms min_ms max_ms
for size in $SIZES; do
    for run in $(seq "$RUNS"); do
        dir=$WORK/$size-$run
        mkdir -p "$dir"
        "$RELAY" --listen 127.0.0.1:0 --log-level warning >"$dir/relay.out" 2>"$dir/relay.err" &
        RELAY_PID=$!
        addr=""
        for _ in $(seq 100); do
            addr=$(head -n1 "$dir/relay.out" 2>/dev/null || true)
            [[ -n $addr ]] && break
            sleep 0.05
        done
        link=$("$CLI" create --relay "$addr" | head -n1)
        "$CLI" join "$link" --name receiver --record-video "$dir/rec" \
            --duration $((DURATION + 2)) --stats-json "$dir/receiver.json" 2>"$dir/receiver.err" &
        receiver=$!
        sleep 0.5
        "$CLI" join "$link" --name sender --send-audio tone:440 --send-video pattern \
            --video-size "$size" --duration "$DURATION" 2>"$dir/sender.err"
        wait "$receiver"
        kill -TERM "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null || true; RELAY_PID=""
        "$ANALYZE" "$dir/rec/sender.ivf" "$dir/receiver.json" >"$dir/latency.txt" || true
        get() { awk -v k="$1:" '$1 == k { print $2 }' "$dir/latency.txt"; }
        printf '%-9s %4s %7s %8s %10s %7s %7s %7s\n' "$size" "$run" "$(get frames)" "$(get stamped)" \
            "$(get median_ms)" "$(get p95_ms)" "$(get min_ms)" "$(get max_ms)"
    done
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
