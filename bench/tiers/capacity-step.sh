#!/usr/bin/env bash
# The capacity-step scenario of quality tiers (docs/PERFORMANCE.md section 7). Builds nothing:
# pass the build directory that holds diyuma-relay, diyuma-cli and diyuma-netsim.
#
#   bench/tiers/capacity-step.sh BUILD_DIR [PLOT.png]
#
# Per run: a fresh relay on 127.0.0.1, diyuma-netsim in front of it for one receiver only
# (relay -> Slow: a rate limit of HIGH kbit/s, cut to LOW at CUT s, back to HIGH at LIFT s,
# counted from netsim's start), a second receiver Fast straight to the relay, and a sender of
# 1280x720 test-pattern video (simulcast 720p/360p/180p) with a 440 Hz tone. Both receivers
# record video and audio and write stats JSON; bench/tiers/analyze.py reads them and prints:
# the time from the cut until Slow's stream fits (its first picture of a lower size, and
# the first second its received bitrate is under the new capacity), Slow's audio loss and the
# tone's dropouts around the switch, the longest video freeze, the time from the lift back
# to 720p, and Fast's sizes (it must keep 720p). With PLOT.png (needs gnuplot) it draws
# capacity, the relay's estimate of Slow's downlink, what Slow received and the picture
# height over time. Figures only; never fails on a figure.
#
# Environment (defaults in brackets): RUNS [3]  HIGH [2500]  LOW [500] kbit/s
#   CUT [10]  LIFT [30]  DURATION [50] seconds  KEEP_LOGS [0] (1: keep recordings and stats)
set -euo pipefail

if [[ $# -lt 1 || ! -d $1 ]]; then
    echo "usage: $0 BUILD_DIR [PLOT.png]   (with diyuma-relay, diyuma-cli, diyuma-netsim)" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd)
PLOT=${2:-}
HERE=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
HIGH=${HIGH:-2500}
LOW=${LOW:-500}
CUT=${CUT:-10}
LIFT=${LIFT:-30}
DURATION=${DURATION:-50}
RELAY=$BUILD/relay/diyuma-relay
CLI=$BUILD/tools/cli/diyuma-cli
NETSIM=$BUILD/tools/netsim/diyuma-netsim
for bin in "$RELAY" "$CLI" "$NETSIM"; do
    [[ -x $bin ]] || { echo "missing $bin (build it first)" >&2; exit 2; }
done
if [[ -n $PLOT ]] && ! command -v gnuplot >/dev/null; then
    echo "gnuplot is needed for the plot (apt-get install gnuplot-nox)" >&2
    exit 2
fi

WORK=$(mktemp -d /tmp/diyuma-bench-tiers.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ ${KEEP_LOGS:-0} == 1 ]]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# The first stdout line of a starting program: the address it bound.
address_of() {
    local out=$1 addr=""
    for _ in $(seq 100); do
        addr=$(head -n1 "$out" 2>/dev/null || true)
        [[ -n $addr ]] && { echo "$addr"; return 0; }
        sleep 0.05
    done
    return 1
}

echo "# diyuma quality tiers: capacity step  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# command: RUNS=$RUNS HIGH=$HIGH LOW=$LOW CUT=$CUT LIFT=$LIFT DURATION=$DURATION $0 $*"
echo "# $(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) cores;" \
    "kernel $(uname -r); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

for run in $(seq "$RUNS"); do
    dir=$WORK/run$run
    mkdir -p "$dir"
    "$RELAY" --listen 127.0.0.1:0 --log-level warning >"$dir/relay.out" 2>"$dir/relay.err" &
    PIDS+=($!)
    relay=$(address_of "$dir/relay.out") || { cat "$dir/relay.err" >&2; exit 1; }
    "$NETSIM" --target "$relay" --direction down --rate "$HIGH" --rate-at "$CUT:$LOW" \
        --rate-at "$LIFT:$HIGH" >"$dir/netsim.out" 2>"$dir/netsim.err" &
    PIDS+=($!)
    netsim_pid=$!
    netsim=$(address_of "$dir/netsim.out") || { cat "$dir/netsim.err" >&2; exit 1; }
    netsim_start_ms=$(date +%s%3N)
    invite=$(timeout 10 "$CLI" create --relay "$relay" | head -n1)
    [[ -n $invite ]] || { echo "diyuma-cli create printed no link" >&2; exit 1; }
    for who in Fast Slow; do
        via=$relay
        [[ $who == Slow ]] && via=$netsim
        timeout $((DURATION + 30)) "$CLI" join "$invite" --relay "$via" --name "$who" \
            --record-video "$dir/$who" --record-audio "$dir/$who" --duration $((DURATION + 2)) \
            --stats-json "$dir/$who.json" >"$dir/$who.out" 2>"$dir/$who.err" &
        PIDS+=($!)
    done
    sleep 0.7
    timeout $((DURATION + 30)) "$CLI" join "$invite" --name Sender --send-audio tone:440 \
        --send-video pattern --video-size 1280x720 --duration "$DURATION" \
        --stats-json "$dir/Sender.json" >"$dir/Sender.out" 2>"$dir/Sender.err" ||
        { echo "sender failed:" >&2; cat "$dir/Sender.err" >&2; exit 1; }
    for pid in "${PIDS[@]:2}"; do wait "$pid" || { echo "a receiver failed" >&2; exit 1; }; done
    for pid in "$netsim_pid" "${PIDS[0]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
    plot_arg=()
    [[ -n $PLOT && $run == 1 ]] && plot_arg=(--plot "$PLOT")
    echo "## run $run"
    python3 "$HERE/analyze.py" --dir "$dir" --netsim-start-ms "$netsim_start_ms" \
        --high "$HIGH" --low "$LOW" --cut "$CUT" --lift "$LIFT" "${plot_arg[@]}"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
