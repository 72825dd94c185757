#!/usr/bin/env bash
# Relay forwarding benchmark (docs/PERFORMANCE.md). Builds nothing: pass the build directory.
#
#   bench/relay/run.sh BUILD_DIR
#
# For each offered load in RATES, REPEAT times, it starts a fresh target pinned to TARGET_CPU,
# drives it from bench_relay_load pinned to LOAD_CPU, and stops it: bench_bare_forwarder (the
# ceiling) and diyuma-relay in turn, with the same load. It prints one row per run, the
# medians per rate, and a summary: the most forwarded packets/s each reached (the saturation
# rate), the relay's fraction of the ceiling, and CPU time per forwarded packet. Figures only;
# it never fails on a figure.
#
# Environment (defaults in brackets):
#   CONFERENCES [10]  MEMBERS [10]  PACKET_BYTES [160]  DURATION [4] seconds per run
#   RATES ["25000 35000 0"]  packets sent per second in total; 0 = as fast as it can
#   REPEAT [5]  runs per target and rate; the summary uses the median of each (the spread
#   between runs of the same load on this VM is 20-30 %, so single runs mean little)
#   TARGETS ["bare relay"]  TARGET_CPU [0]  LOAD_CPU [1]  KEEP_LOGS [0] (1: keep the temp dir)
#   ALLOC_RATE [20000]  ALLOC_SHORT [1]  ALLOC_LONG [3]: the allocation check at the end runs
#   the relay under bench_alloc_counter.so (LD_PRELOAD) with two load lengths and prints
#   allocations per forwarded packet (needs jq).
#
# MODE=tiers (docs/PERFORMANCE.md section 1.1): every participant sends audio and VIDEO_LAYERS
# [3] simulcast video streams (bench_relay_load --video-layers; 29,000 packets/s in total is
# real time for 10 x 10), and the targets are (TARGETS ["bare relay tiers"]):
#   tiers  diyuma-relay, the real thing: streams announced, header extensions, receivers'
#          transport-wide feedback every 50 ms, key frames on PLI; per-receiver layer choice
#   relay  diyuma-relay with the same datagrams as plain RTP on one audio SSRC (--plain-rtp):
#          the old forwarding path, every packet to everyone
#   bare   bench_bare_forwarder with the same datagrams
# Defaults change to RATES ["29000 40000 0"] WARMUP [3] seconds of the same load before each
# measured window (the relay's estimators settle), ALLOC_RATE [29000]; the allocation check
# runs for both relay kinds. Rows get two more columns: fwd/sent (forwarded copies per packet
# sent) and cpu_us/sent (the target's CPU per packet sent, i.e. per unit of offered load).
set -euo pipefail

if [[ $# -lt 1 || ! -d $1 ]]; then
    echo "usage: $0 BUILD_DIR   (e.g. build/bench after building bench_bare_forwarder," >&2
    echo "       bench_relay_load and diyuma-relay)" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd)
MODE=${MODE:-plain}
if [[ $MODE != plain && $MODE != tiers ]]; then
    echo "MODE must be plain or tiers" >&2
    exit 2
fi
TIERS=0
[[ $MODE == tiers ]] && TIERS=1
VIDEO_LAYERS=${VIDEO_LAYERS:-3}
if ((TIERS)); then
    RATES=${RATES:-"29000 40000 0"}
    TARGETS=${TARGETS:-"bare relay tiers"}
    WARMUP=${WARMUP:-3}
    ALLOC_RATE=${ALLOC_RATE:-29000}
else
    WARMUP=${WARMUP:-0}
fi
CONFERENCES=${CONFERENCES:-10}
MEMBERS=${MEMBERS:-10}
PACKET_BYTES=${PACKET_BYTES:-160}
DURATION=${DURATION:-4}
RATES=${RATES:-"25000 35000 0"}
REPEAT=${REPEAT:-5}
TARGETS=${TARGETS:-"bare relay"}
TARGET_CPU=${TARGET_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}

FORWARDER=$BUILD/bench/relay/bench_bare_forwarder
LOAD=$BUILD/bench/relay/bench_relay_load
RELAY=$BUILD/relay/diyuma-relay
for bin in "$FORWARDER" "$LOAD"; do
    [[ -x $bin ]] || { echo "missing $bin (build the bench targets first)" >&2; exit 2; }
done
if [[ " $TARGETS " == *" relay "* || " $TARGETS " == *" tiers "* ]] && [[ ! -x $RELAY ]]; then
    echo "missing $RELAY (build diyuma-relay first)" >&2
    exit 2
fi

WORK=$(mktemp -d /tmp/diyuma-bench-relay.XXXXXX)
TARGET_PID=""
cleanup() {
    if [[ -n $TARGET_PID ]]; then
        kill -TERM "$TARGET_PID" 2>/dev/null || true
        wait "$TARGET_PID" 2>/dev/null || true
    fi
    if [[ ${KEEP_LOGS:-0} == 1 ]]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

field() { awk -v k="$1:" '$1 == k { print $2 }' "$2"; }

# Starts the target pinned to TARGET_CPU (with the environment given after the log, e.g.
# LD_PRELOAD=...); sets TARGET_PID and TARGET_ADDR.
start_target() {
    local kind=$1 log=$2
    shift 2
    if [[ $kind == bare ]]; then
        taskset -c "$TARGET_CPU" env "$@" "$FORWARDER" --listen 127.0.0.1:0 >"$log.out" 2>"$log.err" &
    else
        taskset -c "$TARGET_CPU" env "$@" "$RELAY" --listen 127.0.0.1:0 \
            --max-conferences $((CONFERENCES + 10)) --max-participants "$MEMBERS" \
            --log-level warning >"$log.out" 2>"$log.err" &
    fi
    TARGET_PID=$!
    TARGET_ADDR=""
    for _ in $(seq 100); do
        TARGET_ADDR=$(head -n1 "$log.out" 2>/dev/null || true)
        [[ -n $TARGET_ADDR ]] && return 0
        kill -0 "$TARGET_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "$kind did not print its address; stderr:" >&2
    cat "$log.err" >&2
    exit 1
}

stop_target() {
    kill -TERM "$TARGET_PID" 2>/dev/null || true
    wait "$TARGET_PID" 2>/dev/null || true
    TARGET_PID=""
}

echo "# diyuma relay forwarding benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
if ((TIERS)); then
    echo "# command: MODE=tiers VIDEO_LAYERS=$VIDEO_LAYERS WARMUP=$WARMUP CONFERENCES=$CONFERENCES" \
        "MEMBERS=$MEMBERS PACKET_BYTES=$PACKET_BYTES DURATION=$DURATION RATES=\"$RATES\"" \
        "REPEAT=$REPEAT TARGETS=\"$TARGETS\" $0 $1"
else
    echo "# command: CONFERENCES=$CONFERENCES MEMBERS=$MEMBERS PACKET_BYTES=$PACKET_BYTES" \
        "DURATION=$DURATION RATES=\"$RATES\" REPEAT=$REPEAT TARGETS=\"$TARGETS\" $0 $1"
fi
echo "# $(lscpu | awk -F: '/^Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) cores;" \
    "kernel $(uname -r); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $CONFERENCES conferences x $MEMBERS members, $PACKET_BYTES-byte packets," \
    "${DURATION}s per run, $REPEAT runs per rate; target on core $TARGET_CPU, load generator on core $LOAD_CPU"
echo "# offered = packets/s sent by the load generator (0 = as fast as it can);" \
    "forwarded = copies received by the participants per second"
echo "# cpu_us/pkt = target's utime+stime per forwarded packet; core_us/pkt = busy time of" \
    "core $TARGET_CPU (incl. softirq, which carries loopback delivery) per forwarded packet"
echo "# * = disturbed run: other processes took >10 % of core $TARGET_CPU, or the load generator" \
    "got <90 % of core $LOAD_CPU; left out of the medians"
if ((TIERS)); then
    echo "# tiers mode: each participant sends audio ($PACKET_BYTES bytes) and $VIDEO_LAYERS video" \
        "layers (1/2/5 packets per frame, 900-1100 bytes), ${WARMUP}s warm-up before each window;" \
        "ratio = forwarded / (members-1) x sent"
    printf '%-6s %8s %9s %10s %7s %8s %10s %10s %9s %8s %8s %11s\n' target offered sent_pps \
        forwarded ratio tgt_cpu cpu_us/pkt core_us/pkt core_busy load_cpu fwd/sent cpu_us/sent
else
    printf '%-6s %8s %9s %10s %7s %8s %10s %10s %9s %8s\n' target offered sent_pps forwarded \
        ratio tgt_cpu cpu_us/pkt core_us/pkt core_busy load_cpu
fi

RESULTS=$WORK/results.tsv
: >"$RESULTS"
for rate in $RATES; do
    for rep in $(seq "$REPEAT"); do
        # Targets alternate within a repetition, so slow drifts of the machine hit both alike.
        for kind in $TARGETS; do
            log=$WORK/$kind-$rate-$rep
            start_target "$kind" "$log"
            mode=relay
            [[ $kind == bare ]] && mode=bare
            extra=()
            if ((TIERS)); then
                extra=(--video-layers "$VIDEO_LAYERS" --warmup "$WARMUP")
                [[ $kind == relay ]] && extra+=(--plain-rtp)
            fi
            if ! taskset -c "$LOAD_CPU" "$LOAD" --target "$TARGET_ADDR" --mode "$mode" \
                --conferences "$CONFERENCES" --members "$MEMBERS" \
                --packet-bytes "$PACKET_BYTES" --rate "$rate" --duration "$DURATION" \
                --watch-pid "$TARGET_PID" --watch-core "$TARGET_CPU" "${extra[@]}" \
                >"$log.load" 2>"$log.loaderr"; then
                echo "load generator failed against $kind:" >&2
                cat "$log.loaderr" >&2
                stop_target
                exit 1
            fi
            stop_target
            fwd=$(field delivered_pps "$log.load")
            cpu=$(field target_cpu_us_per_delivered "$log.load")
            core=$(field core_us_per_delivered "$log.load")
            loadcpu=$(field loadgen_cpu_util "$log.load")
            # Disturbed: other processes took more than 10 % of the target's core, or the
            # load generator (which polls without sleeping) got less than 90 % of its core.
            flag=$(awk -v cpu="$cpu" -v core="$core" -v l="$loadcpu" \
                'BEGIN { print (core > cpu * 1.1 || l < 0.9) ? "*" : "" }')
            if ((TIERS)); then
                persent=$(field target_cpu_us_per_sent "$log.load")
                fwdsent=$(field delivered_per_sent "$log.load")
                printf '%-6s %8s %9s %10s %7s %8s %10s %10s %9s %8s %8s %11s %s\n' "$kind" \
                    "$rate" "$(field sent_pps "$log.load")" "$fwd" \
                    "$(field delivery_ratio "$log.load")" "$(field target_cpu_util "$log.load")" \
                    "$cpu" "$core" "$(field core_busy_util "$log.load")" "$loadcpu" \
                    "$fwdsent" "$persent" "$flag"
                if [[ $kind == tiers ]]; then
                    echo "  tiers: $(sed -n 's/^report_layers: //p' "$log.load");" \
                        "downlink kbit/s min/median/max $(sed -n \
                        's/^report_downlink_kbps_min_median_max: //p' "$log.load" | tr ' ' /);" \
                        "delivered audio/l0/l1/l2 $(field delivered_audio "$log.load")/$(field \
                        delivered_video_l0 "$log.load")/$(field delivered_video_l1 \
                        "$log.load")/$(field delivered_video_l2 "$log.load");" \
                        "plis $(field plis_received "$log.load"), probes" \
                        "$(field probes_received "$log.load"), feedback sent" \
                        "$(field feedback_sent "$log.load")"
                fi
            else
                persent=-
                fwdsent=-
                printf '%-6s %8s %9s %10s %7s %8s %10s %10s %9s %8s %s\n' "$kind" "$rate" \
                    "$(field sent_pps "$log.load")" "$fwd" "$(field delivery_ratio "$log.load")" \
                    "$(field target_cpu_util "$log.load")" "$cpu" "$core" \
                    "$(field core_busy_util "$log.load")" "$loadcpu" "$flag"
            fi
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$rate" "$fwd" "$cpu" "$core" \
                "${flag:-ok}" "$persent" "$fwdsent" >>"$RESULTS"
            for check in self_deliveries misrouted; do
                v=$(field $check "$log.load")
                [[ $v == 0 ]] || echo "  warning: $kind $check=$v (must be 0)"
            done
            if [[ $kind == bare ]]; then
                failures=$(sed -n 's/.* send_failures=\([0-9]*\).*/\1/p' "$log.err")
                [[ -z $failures || $failures == 0 ]] || echo "  bare send failures: $failures"
            fi
            if [[ $kind != bare ]] && command -v jq >/dev/null; then
                # The relay's own final stats line (JSON) on stderr: what it dropped and why.
                stats=$(grep '^{' "$log.err" | tail -n1 || true)
                if [[ -n $stats ]]; then
                    dropped=$(jq -c '.dropped // {} | [paths(numbers) as $p
                        | select(getpath($p) != 0) | {($p | join(".")): getpath($p)}]
                        | add // empty' <<<"$stats" 2>/dev/null || true)
                    [[ -z $dropped ]] || echo "  relay dropped: $dropped"
                    sendfail=$(jq -c '.io // {} | {send_would_block, send_errors}
                        | with_entries(select(.value != null and .value != 0))
                        | select(length > 0)' <<<"$stats" 2>/dev/null || true)
                    [[ -z $sendfail ]] || echo "  relay send failures: $sendfail"
                fi
            fi
        done
    done
done

# Median over the repetitions of each (target, rate); the saturation rate of a target is the
# highest of its medians.
median() { sort -g | awk 'NF { v[++n] = $1 } END { if (n == 0) print "-";
    else if (n % 2) print v[(n + 1) / 2]; else printf "%.6g\n", (v[n / 2] + v[n / 2 + 1]) / 2 }'; }
echo
disturbed=$(awk -F'\t' '$6 != "ok"' "$RESULTS" | wc -l)
echo "# medians over the undisturbed of $REPEAT runs ($disturbed runs marked * left out):" \
    "forwarded packets/s (CPU us per forwarded packet: process/core)"
printf '%8s' offered
for kind in $TARGETS; do printf ' %26s' "$kind"; done
echo
declare -A BEST BEST_RATE BEST_CPU BEST_CORE
for kind in $TARGETS; do BEST[$kind]=0; done
for rate in $RATES; do
    printf '%8s' "$rate"
    for kind in $TARGETS; do
        sel() { awk -F'\t' -v k="$kind" -v r="$rate" -v c="$1" \
            '$1 == k && $2 == r && $6 == "ok" { print $c }' "$RESULTS" | median; }
        fwd=$(sel 3)
        cpu=$(sel 4)
        core=$(sel 5)
        printf ' %10s (%5s/%5s us)' "$fwd" "$cpu" "$core"
        if [[ $fwd != - ]] && awk -v a="$fwd" -v b="${BEST[$kind]}" 'BEGIN { exit !(a > b) }'; then
            BEST[$kind]=$fwd
            BEST_RATE[$kind]=$rate
            BEST_CPU[$kind]=$cpu
            BEST_CORE[$kind]=$core
        fi
    done
    echo
done
echo
echo "# summary (saturation = the highest median forwarded rate over RATES)"
for kind in $TARGETS; do
    if [[ ${BEST[$kind]} == 0 ]]; then
        echo "$kind: not measured (every run was disturbed; run again when the machine is quiet)"
        continue
    fi
    printf '%-6s forwarded %8s packets/s at offered %s; CPU %s us (process), %s us (core) per' \
        "$kind" "${BEST[$kind]}" "${BEST_RATE[$kind]}" "${BEST_CPU[$kind]}" "${BEST_CORE[$kind]}"
    echo " forwarded packet"
done
if [[ " $TARGETS " == *" relay "* && " $TARGETS " == *" bare "* ]]; then
    awk -v r="${BEST[relay]}" -v b="${BEST[bare]}" \
        'BEGIN { if (b > 0) printf "relay/ceiling ratio: %.3f (of the saturation rates)\n", r / b }'
    # Each relay run divided by the bare run just before it (same rate, same repetition):
    # robust against the machine drifting between runs.
    pairs=$(awk -F'\t' '$1 == "bare" { b = ($6 == "ok") ? $3 : 0 }
        $1 == "relay" && $6 == "ok" && b > 0 { print $3 / b; b = 0 }' "$RESULTS")
    paired=$(median <<<"$pairs" | awk '$1 != "-" { printf "%.3f", $1 } $1 == "-" { print "-" }')
    n=$(grep -c . <<<"$pairs" || true)
    range=$(awk -F'\t' '$6 == "ok" {
        if (!($1 in lo) || $3 < lo[$1]) lo[$1] = $3; if ($3 > hi[$1]) hi[$1] = $3 }
        END { for (k in lo) printf "%s %d..%d  ", k, lo[k], hi[k] }' "$RESULTS")
    echo "relay/ceiling ratio, median of $n paired runs: $paired"
    echo "spread of single runs over all rates (forwarded packets/s): $range"
fi
if ((TIERS)); then
    echo
    echo "# tiers mode, medians per offered load: forwarded copies per packet sent, and the" \
        "target's CPU us per packet sent (the offered load is the same for every target)"
    printf '%8s' offered
    for kind in $TARGETS; do printf ' %22s' "$kind"; done
    echo
    for rate in $RATES; do
        printf '%8s' "$rate"
        for kind in $TARGETS; do
            persent=$(awk -F'\t' -v k="$kind" -v r="$rate" \
                '$1 == k && $2 == r && $6 == "ok" { print $7 }' "$RESULTS" | median)
            fwdsent=$(awk -F'\t' -v k="$kind" -v r="$rate" \
                '$1 == k && $2 == r && $6 == "ok" { print $8 }' "$RESULTS" | median)
            printf ' %22s' "$fwdsent x, $persent us"
        done
        echo
    done
    if [[ " $TARGETS " == *" relay "* && " $TARGETS " == *" tiers "* ]]; then
        # Each tiers run against the plain relay run of the same repetition (runs alternate
        # bare, relay, tiers): CPU per forwarded packet and per packet sent, tiers / plain.
        awk -F'\t' '$1 == "relay" { if ($6 == "ok") { f[$2] = $3; c[$2] = $4; s[$2] = $7 } else f[$2] = 0 }
            $1 == "tiers" && $6 == "ok" && f[$2] > 0 {
                print $2, $3 / f[$2], $4 / c[$2], $7 / s[$2]; f[$2] = 0 }' "$RESULTS" \
            | sort -k1,1n -s >"$WORK/pairs"
        for rate in $RATES; do
            n=$(awk -v r="$rate" '$1 == r' "$WORK/pairs" | wc -l)
            ((n > 0)) || continue
            col() { awk -v r="$rate" -v c="$1" '$1 == r { print $c }' "$WORK/pairs" | median; }
            printf 'tiers/plain relay at offered %s, median of %d paired runs: forwarded %.3f,' \
                "$rate" "$n" "$(col 2)"
            printf ' CPU per forwarded packet %.3f, CPU per packet sent %.3f\n' "$(col 3)" "$(col 4)"
        done
    fi
fi

# Allocations per forwarded packet: the relay under the LD_PRELOAD counter, once with
# ALLOC_SHORT and once with ALLOC_LONG seconds of the same load; the difference in
# allocations over the difference in forwarded packets leaves start-up and set-up out.
# In tiers mode both relay kinds are checked, each after the same warm-up.
PRELOAD=$BUILD/bench/relay/bench_alloc_counter.so
ALLOC_KINDS=relay
((TIERS)) && ALLOC_KINDS="relay tiers"
for akind in $ALLOC_KINDS; do
    [[ " $TARGETS " == *" $akind "* && -f $PRELOAD ]] && command -v jq >/dev/null || continue
    ALLOC_RATE=${ALLOC_RATE:-20000}
    extra=()
    if ((TIERS)); then
        extra=(--video-layers "$VIDEO_LAYERS" --warmup "$WARMUP")
        [[ $akind == relay ]] && extra+=(--plain-rtp)
    fi
    declare -A ALLOCS=() FORWARDED=()
    for secs in "${ALLOC_SHORT:-1}" "${ALLOC_LONG:-3}"; do
        log=$WORK/alloc-$akind-$secs
        start_target relay "$log" LD_PRELOAD="$PRELOAD"
        # Tiers mode: also the count at the start and end of the load window (SIGUSR2).
        marks=()
        ((TIERS)) && marks=(--mark-pid "$TARGET_PID")
        taskset -c "$LOAD_CPU" "$LOAD" --target "$TARGET_ADDR" --conferences "$CONFERENCES" \
            --members "$MEMBERS" --packet-bytes "$PACKET_BYTES" --rate "$ALLOC_RATE" \
            --duration "$secs" "${extra[@]}" "${marks[@]}" >"$log.load" 2>&1 || true
        stop_target
        if ((TIERS)); then
            m=($(sed -n 's/^alloc_counter: mark allocations=//p' "$log.err"))
            d=$(field delivered_packets "$log.load")
            if [[ ${#m[@]} -ge 2 && -n $d ]]; then
                awk -v k="$akind" -v s="$secs" -v w="$WARMUP" -v a="$((m[1] - m[0]))" -v d="$d" \
                    'BEGIN { printf "%s allocations within the %s s load window (after %s s warm-up):" \
                        " %d over %d forwarded copies received; %.6f per forwarded packet\n",
                        k, s, w, a, d, (d > 0 ? a / d : 0) }'
            fi
        fi
        ALLOCS[$secs]=$(sed -n 's/^alloc_counter: allocations=//p' "$log.err" | tail -n1)
        FORWARDED[$secs]=$(grep '^{' "$log.err" | tail -n1 | jq '.forwarded.packets' 2>/dev/null || true)
    done
    a1=${ALLOCS[${ALLOC_SHORT:-1}]:-} a2=${ALLOCS[${ALLOC_LONG:-3}]:-}
    f1=${FORWARDED[${ALLOC_SHORT:-1}]:-} f2=${FORWARDED[${ALLOC_LONG:-3}]:-}
    if [[ -n $a1 && -n $a2 && -n $f1 && -n $f2 ]]; then
        awk -v k="$akind" -v a1="$a1" -v a2="$a2" -v f1="$f1" -v f2="$f2" 'BEGIN {
            printf "%s allocations: %d over %d forwarded packets, %d over %d;", k, a1, f1, a2, f2
            if (f2 > f1) printf " %.6f allocations per forwarded packet\n", (a2 - a1) / (f2 - f1)
            else printf " (no difference in packets)\n" }'
    else
        echo "$akind allocations: not measured (no counter output)"
    fi
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
