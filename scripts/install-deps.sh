#!/usr/bin/env bash
# Installs, from Debian 12's packages, whatever of the build and test dependencies is
# missing. Safe to run again: it installs nothing when everything is there.
set -euo pipefail

packages=(
    # build
    build-essential cmake ninja-build ccache pkg-config
    # core and programs
    libopus-dev libvpx-dev libsndfile1-dev libsoxr-dev libssl-dev libcli11-dev nlohmann-json3-dev
    libfmt-dev
    # tests (Qt Test) and the desktop app: widgets, SVG icons, camera, translations, audio devices,
    # echo cancellation (both candidates, compared in bench/aec)
    qt6-base-dev qt6-svg-dev qt6-multimedia-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools
    qt6-translations-l10n portaudio19-dev libwebrtc-audio-processing-dev libspeexdsp-dev
    # the end-to-end audio test: a real-time sound server without a sound card, speech, Xvfb
    pulseaudio pulseaudio-utils libasound2-plugins alsa-utils espeak-ng xvfb xauth
    # the relay as a service (config, metrics, readiness) and the Debian packages
    libtomlplusplus-dev libcpp-httplib-dev libsystemd-dev lintian dpkg-dev file curl systemd
    desktop-file-utils
    # standards checks with tools nobody here wrote, and sound inspection
    tshark gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
    gstreamer1.0-plugins-bad sox ffmpeg
    # benchmark scripts (bench/)
    jq
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
