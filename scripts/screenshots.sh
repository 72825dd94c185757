#!/usr/bin/env bash
# Takes the video call screenshots in docs/screenshots/ the way a person sees the app: a local
# relay, the app under Xvfb (its own PulseAudio daemon with null sinks, so the audio devices
# open as on a desktop) with the moving test pattern as its camera, and diyuma-cli peers
# sending tones and their test patterns; the window is grabbed with ffmpeg's x11grab.
#  - call-video-{light,dark}.png: the app is the admin of an open conference, two peers;
#  - call-private-member.png: the app is a member of a private-view conference: it sees the
#    admin's video, not the other member's, and says why;
#  - call-paused.png: the app's download cut to 60 kbit/s by diyuma-netsim: the relay pauses
#    the peer's video for it (not even 180p fits beside the audio) and the tile says why;
#  - call-details.png: the details dialog (the quality bars) with a 720p peer, taken by the UI
#    test that checks it (tests/unit/callui/TestCallUiTiers.cpp, DIYUMA_SCREENSHOT_DIR), as
#    this script cannot click.
#
#   bash scripts/screenshots.sh [BUILD_DIR]     (default build/dev; needs a built tree)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/dev}
out=docs/screenshots
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"$build/relay/diyuma-relay" --listen 127.0.0.1:0 >"$work/relay.out" 2>"$work/relay.log" &
pids+=($!)
relay=""
for _ in $(seq 100); do
    relay=$(head -n1 "$work/relay.out" 2>/dev/null || true)
    [[ -n $relay ]] && break
    sleep 0.05
done
mapfile -t links < <("$build/tools/cli/diyuma-cli" create --relay "$relay")
mapfile -t private < <("$build/tools/cli/diyuma-cli" create --relay "$relay" --private-view)

# A private sound server (scripts/lib/private-pulse.sh), and the app's settings beside it.
# shellcheck source=lib/private-pulse.sh
source scripts/lib/private-pulse.sh
start_private_pulse "$work"
pids+=("$PULSE_PID")
export XDG_CONFIG_HOME=$HOME/.config
mkdir -p "$XDG_CONFIG_HOME/Diyuma"
cat >"$XDG_CONFIG_HOME/Diyuma/Diyuma Conference.conf" <<'CONF'
[call]
joinLeaveSounds=false
[profile]
displayName=Anna
[video]
source=pattern
CONF

display=:97
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp 2>"$work/xvfb.log" &
pids+=($!)
sleep 1
export DISPLAY=$display

# First, while nothing else runs (it measures rates): the details dialog, from the UI test.
DIYUMA_BIN_DIR=$(realpath "$build") DIYUMA_SCREENSHOT_DIR=$(realpath "$out") \
    "$build/tests/unit/callui/test_callui_tiers" detailsShowTheLayerOfA720pSender \
    >"$work/details-test.log" 2>&1 || { cat "$work/details-test.log"; exit 1; }
echo "screenshots: $out/call-details.png"

peer() { # LINK NAME HZ
    "$build/tools/cli/diyuma-cli" join "$1" --name "$2" --send-audio "tone:$3" \
        --send-video pattern --duration 60 2>>"$work/cli.log" &
    pids+=($!)
}
shoot() { # FILE SCHEME NAME LINK [MORE APP ARGUMENTS]
    DIYUMA_COLOR_SCHEME=$2 "$build/app/diyuma" --new-instance --name "$3" "$4" "${@:5}" \
        -qwindowgeometry 1100x700+0+0 2>"$work/app-$2.log" &
    local app=$!
    sleep 7
    ffmpeg -loglevel error -y -f x11grab -draw_mouse 0 -video_size 1280x800 -i "$display" \
        -vf crop=1100:700:0:0 -frames:v 1 "$out/$1"
    kill "$app"
    wait "$app" 2>/dev/null || true
    echo "screenshots: $out/$1"
}

peer "${links[0]}" Boris 440
peer "${links[0]}" Carl 620
shoot call-video-light.png light Anna "${links[1]}"
shoot call-video-dark.png dark Anna "${links[1]}"

peer "${private[1]}" Anna 440
peer "${private[0]}" Carl 620
shoot call-private-member.png light Boris "${private[0]}"

# The app joins through diyuma-netsim (a bare ID and --relay: a link would name the relay).
"$build/tools/netsim/diyuma-netsim" --target "$relay" --direction down --rate 60 \
    >"$work/netsim.out" 2>"$work/netsim.log" &
pids+=($!)
netsim=""
for _ in $(seq 100); do
    netsim=$(head -n1 "$work/netsim.out" 2>/dev/null || true)
    [[ -n $netsim ]] && break
    sleep 0.05
done
mapfile -t slow < <("$build/tools/cli/diyuma-cli" create --relay "$relay")
peer "${slow[0]}" Boris 440
shoot call-paused.png light Anna "${slow[0]##*/}" --relay "$netsim"
