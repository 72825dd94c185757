#!/usr/bin/env bash
# Mouth-to-ear latency through the desktop app and its real audio path (docs/PERFORMANCE.md,
# section 2, "Through the desktop app and real devices"). Builds nothing: pass the build
# directory that holds diyuma-relay, diyuma-cli, bench_latency_clicks and app/diyuma.
#
#   bench/latency/run-app.sh BUILD_DIR
#
# A round trip on one clock. A private PulseAudio daemon (as tests/support/PulseAudioServer.h
# sets one up) has one null sink "speaker" as the default sink and its monitor as the default
# source, so whatever the app plays comes straight back as its microphone. Per run: a fresh
# relay, `diyuma-cli create`, the app offscreen joining as "Loop" (echo cancellation and join
# sounds off), then one diyuma-cli ("probe") that sends the chirp track and records. Each chirp
# goes probe -> relay -> app -> PortAudio playback -> speaker -> speaker.monitor -> PortAudio
# capture -> app -> relay -> probe's recording of "Loop". `bench_latency_clicks analyze` with the
# probe's stats as both the talker's and the listener's gives the round trip per chirp.
#
# Before the app runs it calls bench/latency/run.sh (CLI to CLI, one way) and prints
# round trip - that one-way median as the app-to-app estimate (see the doc for the arithmetic).
# Figures only; never fails on a figure. Every process it starts is stopped on exit.
#
# Environment (defaults in brackets): RUNS [3] app runs  ONEWAY_RUNS [3] run.sh runs
#   DURATION [10] seconds of chirps  PERIOD_MS [507]  SETTLE_S [3] seconds between the app's
#   audio streams appearing and the probe joining  KEEP_LOGS [0] (1: keep the temp dir)
set -euo pipefail

if [[ $# -lt 1 || ! -d $1 ]]; then
    echo "usage: $0 BUILD_DIR   (with diyuma-relay, diyuma-cli, bench_latency_clicks and" \
        "app/diyuma built)" >&2
    exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "$1" && pwd)
RUNS=${RUNS:-3}
ONEWAY_RUNS=${ONEWAY_RUNS:-3}
DURATION=${DURATION:-10}
PERIOD_MS=${PERIOD_MS:-507}
SETTLE_S=${SETTLE_S:-3}
RELAY=$BUILD/relay/diyuma-relay
CLI=$BUILD/tools/cli/diyuma-cli
CLICKS=$BUILD/bench/latency/bench_latency_clicks
APP=$BUILD/app/diyuma
for bin in "$RELAY" "$CLI" "$CLICKS" "$APP"; do
    [[ -x $bin ]] || { echo "missing $bin (build it first)" >&2; exit 2; }
done
for tool in pulseaudio pactl; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install pulseaudio" \
        "pulseaudio-utils libasound2-plugins)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/diyuma-bench-latency-app.XXXXXX)
ONEWAY_PID=""
PULSE_PID=""
RELAY_PID=""
APP_PID=""
PROBE_PID=""

# TERM, then KILL if it is still there after 5 s; only ever our own children, by PID.
stop_pid() {
    local pid=$1
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
# run.sh and everything below it: `timeout` puts each client it runs in a group of its own, so
# the tree is walked by parent PID (ids only), then stopped like stop_pid.
descendants() {
    local child
    for child in $(pgrep -P "$1" || true); do
        echo "$child"
        descendants "$child"
    done
}
stop_tree() {
    local pids pid alive=""
    [[ -n $1 ]] || return 0
    pids="$1 $(descendants "$1" | tr '\n' ' ')"
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    for _ in $(seq 50); do
        alive=""
        for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
        [[ -n $alive ]] || break
        sleep 0.1
    done
    # shellcheck disable=SC2086
    [[ -z $alive ]] || kill -KILL $alive 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
cleanup() {
    trap - EXIT INT TERM
    if [[ -n $ONEWAY_PID ]]; then
        stop_tree "$ONEWAY_PID"
        # Its trap removes its temp dir, but a client it ran may have written there after that.
        leftover=$(sed -n 's|^# wrote \(/tmp/diyuma-bench-latency\.[A-Za-z0-9]*\)/clicks\.wav.*|\1|p' \
            "$WORK/oneway.txt" 2>/dev/null | head -n1)
        [[ -n $leftover && -d $leftover ]] && rm -rf "$leftover"
    fi
    stop_pid "$PROBE_PID"
    stop_pid "$APP_PID"
    stop_pid "$RELAY_PID"
    stop_pid "$PULSE_PID"
    if [[ ${KEEP_LOGS:-0} == 1 ]]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

field() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$2"; }
fail() {
    echo "$1" >&2
    shift
    for f in "$@"; do [[ -s $f ]] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done
    exit 1
}

echo "# diyuma mouth-to-ear latency through the app and PulseAudio  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# command: RUNS=$RUNS ONEWAY_RUNS=$ONEWAY_RUNS DURATION=$DURATION PERIOD_MS=$PERIOD_MS" \
    "SETTLE_S=$SETTLE_S $0 $1"
echo "# $(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) cores;" \
    "kernel $(uname -r); $(pulseaudio --version); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. CLI to CLI, one way: the figure subtracted below, measured now on the same machine.
echo "# step 1: bench/latency/run.sh (CLI to CLI, one way)"
# In the background, so that a signal to this script reaches the trap at once; cleanup stops it
# together with the clients it runs in the foreground.
RUNS=$ONEWAY_RUNS DURATION=$DURATION PERIOD_MS=$PERIOD_MS KEEP_LOGS=0 \
    "$HERE/run.sh" "$BUILD" >"$WORK/oneway.txt" 2>&1 &
ONEWAY_PID=$!
wait "$ONEWAY_PID" || { ONEWAY_PID=""; fail "bench/latency/run.sh failed" "$WORK/oneway.txt"; }
ONEWAY_PID=""
sed 's/^/#   /' "$WORK/oneway.txt"
ONEWAY_MEDIAN=$(sed -n '/^# pooled/,$p' "$WORK/oneway.txt" | awk '$1 == "latency_median_ms:" { print $2 }')
[[ $ONEWAY_MEDIAN =~ ^[0-9.]+$ ]] || fail "no pooled median in run.sh's output" "$WORK/oneway.txt"

# --- 2. A private PulseAudio: speaker's monitor is the default source (the loop).
export HOME=$WORK/home XDG_RUNTIME_DIR=$WORK/run
export PULSE_SERVER=unix:$XDG_RUNTIME_DIR/pulse/native
unset ALSA_CONFIG_PATH PULSE_SINK PULSE_SOURCE
mkdir -p "$HOME/.config/pulse" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
printf 'pcm.!default { type pulse }\nctl.!default { type pulse }\n' >"$HOME/.asoundrc"
printf 'autospawn = no\n' >"$HOME/.config/pulse/client.conf"
cat >"$WORK/default.pa" <<'EOF'
load-module module-native-protocol-unix
load-module module-null-sink sink_name=speaker rate=48000 channels=1
set-default-sink speaker
set-default-source speaker.monitor
EOF
pulseaudio --daemonize=no --exit-idle-time=-1 -n --log-target=stderr -F "$WORK/default.pa" \
    >"$WORK/pulseaudio.log" 2>&1 &
PULSE_PID=$!
for _ in $(seq 100); do
    kill -0 "$PULSE_PID" 2>/dev/null || fail "pulseaudio exited" "$WORK/pulseaudio.log"
    timeout 2 pactl info >/dev/null 2>&1 && break
    sleep 0.1
done
timeout 2 pactl info >"$WORK/pactl-info.txt" 2>&1 ||
    fail "pulseaudio did not answer pactl info" "$WORK/pulseaudio.log"
echo "# step 2: private PulseAudio: $(grep -E '^Default (Sink|Source):' "$WORK/pactl-info.txt" | tr '\n' ' ')"

# --- 3. The app loop, RUNS times.
"$CLICKS" generate "$WORK/clicks.wav" --duration "$DURATION" --period-ms "$PERIOD_MS" \
    | sed 's/^/# /'
echo "# step 3: the app loop (round trip probe -> app -> speaker.monitor -> app -> probe)"
LATENCY_FILES=()
ESTIMATE_FILES=()
for run in $(seq "$RUNS"); do
    dir=$WORK/run$run
    mkdir -p "$dir/rec" "$dir/config/Diyuma"
    printf '[audio]\nechoCancellation=false\n\n[call]\njoinLeaveSounds=false\n' \
        >"$dir/config/Diyuma/Diyuma Conference.conf"

    "$RELAY" --listen 127.0.0.1:0 --log-level warning >"$dir/relay.out" 2>"$dir/relay.err" &
    RELAY_PID=$!
    addr=""
    for _ in $(seq 100); do
        addr=$(head -n1 "$dir/relay.out" 2>/dev/null || true)
        [[ -n $addr ]] && break
        sleep 0.05
    done
    [[ -n $addr ]] || fail "relay did not start" "$dir/relay.err"
    invite=$(timeout 10 "$CLI" create --relay "$addr" | head -n1)
    [[ -n $invite ]] || fail "diyuma-cli create printed no link"

    QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME=$dir/config \
        "$APP" --new-instance --name Loop "$invite" >"$dir/app.out" 2>"$dir/app.err" &
    APP_PID=$!
    # The app has joined and opened its devices once both its streams exist on the server.
    streams=0
    for _ in $(seq 150); do
        kill -0 "$APP_PID" 2>/dev/null || fail "the app exited" "$dir/app.err"
        if [[ -n $(timeout 2 pactl list short sink-inputs 2>/dev/null) &&
            -n $(timeout 2 pactl list short source-outputs 2>/dev/null) ]]; then
            streams=1
            break
        fi
        sleep 0.1
    done
    [[ $streams == 1 ]] || fail "the app opened no playback and capture stream in 15 s" \
        "$dir/app.err" "$WORK/pulseaudio.log"
    # First callbacks come 1.3-1.6 s after the streams start; let the rings settle too.
    sleep "$SETTLE_S"

    timeout $((DURATION + 30)) "$CLI" join "$invite" --name probe \
        --send-audio "$WORK/clicks.wav" --record-audio "$dir/rec" --duration $((DURATION + 2)) \
        --stats-json "$dir/probe.json" >"$dir/probe.out" 2>"$dir/probe.err" &
    PROBE_PID=$!
    wait "$PROBE_PID" || { PROBE_PID=""; fail "the probe failed" "$dir/probe.err"; }
    PROBE_PID=""
    timeout 2 pactl list sink-inputs >"$dir/sink-inputs.txt" 2>&1 || true
    timeout 2 pactl list source-outputs >"$dir/source-outputs.txt" 2>&1 || true
    stop_pid "$APP_PID"
    APP_PID=""
    stop_pid "$RELAY_PID"
    RELAY_PID=""
    [[ -f $dir/rec/Loop.wav ]] || fail "the probe recorded no Loop.wav: $(ls "$dir/rec")" \
        "$dir/probe.err" "$dir/app.err"

    # The probe is both talker and listener, so both stats files are its own: one clock.
    "$CLICKS" analyze --sent "$WORK/clicks.wav" --recording "$dir/rec/Loop.wav" \
        --talker-stats "$dir/probe.json" --listener-stats "$dir/probe.json" --talker-name Loop \
        --latencies-out "$dir/latencies.txt" >"$dir/analysis.txt"
    LATENCY_FILES+=("$dir/latencies.txt")
    awk -v o="$ONEWAY_MEDIAN" '{ printf "%.1f\n", $1 - o }' "$dir/latencies.txt" \
        >"$dir/estimate.txt"
    ESTIMATE_FILES+=("$dir/estimate.txt")
    median=$(field latency_median_ms "$dir/analysis.txt")
    printf 'run %s: clicks found %s of %s (onsets in recording %s); round trip median %s ms,' \
        "$run" "$(field clicks_found "$dir/analysis.txt")" \
        "$(field clicks_sent "$dir/analysis.txt")" \
        "$(field onsets_in_recording "$dir/analysis.txt")" "$median"
    printf ' p95 %s ms (min %s, max %s); app-to-app estimate %s ms;' \
        "$(field latency_p95_ms "$dir/analysis.txt")" "$(field latency_min_ms "$dir/analysis.txt")" \
        "$(field latency_max_ms "$dir/analysis.txt")" \
        "$(awk -v m="$median" -v o="$ONEWAY_MEDIAN" 'BEGIN { if (m ~ /^[0-9.]+$/) printf "%.1f", m - o; else print "n/a" }')"
    printf ' probe jitter-buffer delay for Loop %s ms\n' \
        "$(field listener_jitter_buffer_delay_ms "$dir/analysis.txt")"
    echo "  round trips ms: $(field latencies_ms "$dir/analysis.txt")"
    grep -iE 'underrun|overrun|xrun|drop|fail|warn' "$dir/app.err" | head -n 5 | sed 's/^/  app: /' || true
done

echo "# CLI to CLI one way (run.sh, pooled median): $ONEWAY_MEDIAN ms"
echo "# round trip, pooled over $RUNS runs"
"$CLICKS" summarize "${LATENCY_FILES[@]}"
echo "# app-to-app estimate = round trip - $ONEWAY_MEDIAN ms, pooled over $RUNS runs"
"$CLICKS" summarize "${ESTIMATE_FILES[@]}"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
