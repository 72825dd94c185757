# Sourced by scripts that run the app with real audio devices on a machine without a sound
# card: a PulseAudio daemon of their own, as tests/support/PulseAudioServer.h starts one.
#
#   start_private_pulse WORK_DIR
#
# Sets HOME and XDG_RUNTIME_DIR under WORK_DIR (so the app's settings and the sound server are
# private too), PULSE_SERVER, an ~/.asoundrc routing ALSA's default to the pulse plugin and a
# client.conf without autospawn; loads two null sinks, "mic" (its monitor is the default source)
# and "speaker" (the default sink); starts the daemon in the background (PULSE_PID) and waits
# until `pactl info` answers. The caller stops PULSE_PID.
start_private_pulse() {
    local work=$1
    export HOME=$work/home XDG_RUNTIME_DIR=$work/run
    export PULSE_SERVER=unix:$XDG_RUNTIME_DIR/pulse/native
    unset ALSA_CONFIG_PATH
    mkdir -p "$HOME/.config/pulse" "$XDG_RUNTIME_DIR"
    chmod 700 "$XDG_RUNTIME_DIR"
    printf 'pcm.!default { type pulse }\nctl.!default { type pulse }\n' >"$HOME/.asoundrc"
    printf 'autospawn = no\n' >"$HOME/.config/pulse/client.conf"
    cat >"$work/default.pa" <<'PA'
load-module module-native-protocol-unix
load-module module-null-sink sink_name=mic rate=48000 channels=1
load-module module-null-sink sink_name=speaker rate=48000 channels=1
set-default-source mic.monitor
set-default-sink speaker
PA
    pulseaudio --daemonize=no --exit-idle-time=-1 -n -F "$work/default.pa" >"$work/pulse.log" 2>&1 &
    PULSE_PID=$!
    local _
    for _ in $(seq 100); do
        timeout 2 pactl info >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "pulseaudio did not answer pactl info (see $work/pulse.log)" >&2
    return 1
}
