#!/usr/bin/env bash
# Takes the video call screenshots in docs/screenshots/ the way a person sees the app: a local
# relay, the app under Xvfb (its own PulseAudio daemon with null sinks, so the audio devices
# open as on a desktop) with the moving test pattern as its camera, and diyuma-cli peers
# sending tones and their test patterns; the window is grabbed with ffmpeg's x11grab.
#  - call-video-{light,dark}.png: the app is the admin of an open conference, two peers;
#  - call-private-member.png: the app is a member of a private-view conference: it sees the
#    admin's video, not the other member's, and says why.
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

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$build/relay/diyuma-relay" --listen "127.0.0.1:$port" 2>"$work/relay.log" &
pids+=($!)
sleep 0.5
mapfile -t links < <("$build/tools/cli/diyuma-cli" create --relay "127.0.0.1:$port")
mapfile -t private < <("$build/tools/cli/diyuma-cli" create --relay "127.0.0.1:$port" --private-view)

# A private sound server, as the app's end-to-end test has (tests/support/PulseAudioServer.h).
export HOME=$work/home XDG_RUNTIME_DIR=$work/run XDG_CONFIG_HOME=$work/home/.config
mkdir -p "$HOME/.config/pulse" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export PULSE_SERVER=unix:$XDG_RUNTIME_DIR/pulse/native
printf 'pcm.!default { type pulse }\nctl.!default { type pulse }\n' >"$HOME/.asoundrc"
echo 'autospawn = no' >"$HOME/.config/pulse/client.conf"
cat >"$work/default.pa" <<'PA'
load-module module-native-protocol-unix
load-module module-null-sink sink_name=mic rate=48000 channels=1
load-module module-null-sink sink_name=speaker rate=48000 channels=1
set-default-source mic.monitor
set-default-sink speaker
PA
pulseaudio --daemonize=no --exit-idle-time=-1 -n -F "$work/default.pa" 2>"$work/pulse.log" &
pids+=($!)
for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done

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

peer() { # LINK NAME HZ
    "$build/tools/cli/diyuma-cli" join "$1" --name "$2" --send-audio "tone:$3" \
        --send-video pattern --duration 60 2>>"$work/cli.log" &
    pids+=($!)
}
shoot() { # FILE SCHEME NAME LINK
    DIYUMA_COLOR_SCHEME=$2 "$build/app/diyuma" --new-instance --name "$3" "$4" \
        -qwindowgeometry 1100x700+0+0 2>"$work/app-$2.log" &
    local app=$!
    sleep 7
    ffmpeg -loglevel error -y -f x11grab -video_size 1280x800 -i "$display" \
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
