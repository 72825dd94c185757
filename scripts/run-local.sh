#!/usr/bin/env bash
# The main job on a fresh machine: installs what is missing, builds, starts a local relay and
# the desktop app pointed at it. Start a conference in the app, copy its link, and let a
# second app (`diyuma --new-instance LINK`) or a headless client join (the command is
# printed). The relay stops when the app closes.
#
# Without a display (no DISPLAY or WAYLAND_DISPLAY) the app cannot open a window: the script
# then runs the headless demo instead, two diyuma-cli clients talking for a few seconds, and
# writes what each heard to out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$(nproc)" --target diyuma-relay diyuma-cli diyuma

bin=build/dev
out=out/demo
rm -rf "$out"
mkdir -p "$out"

# The app's default relay is 127.0.0.1:47400; take another port if that one is busy.
listen=127.0.0.1:47400
if ss -Huln "sport = :47400" 2>/dev/null | grep -q .; then
    listen=127.0.0.1:0
fi
"$bin/relay/diyuma-relay" --listen "$listen" --state-file "$out/relay-state.json" \
    >"$out/relay.out" 2>"$out/relay.log" &
relay_pid=$!
trap 'kill $relay_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    [ -s "$out/relay.out" ] && break
    sleep 0.1
done
relay=$(head -n1 "$out/relay.out")
echo "relay listening on $relay (log: $out/relay.log)"

if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
    echo
    echo "Starting the app. To add a headless participant, copy the invite link and run:"
    echo "  $bin/tools/cli/diyuma-cli join 'LINK' --name Bob --send-audio tone:620"
    echo "or a second app: $bin/app/diyuma --new-instance --name Bob 'LINK'"
    "$bin/app/diyuma" --relay "$relay" "$@"
    exit 0
fi

echo "no display: running the headless demo (two clients for a few seconds)"
seconds=${DIYUMA_DEMO_SECONDS:-6}
mapfile -t links < <("$bin/tools/cli/diyuma-cli" create --relay "$relay")
echo "invite link: ${links[0]}"
echo "admin link:  ${links[1]}"

"$bin/tools/cli/diyuma-cli" join "${links[1]}" --name Alice --send-audio tone:440 \
    --record-audio "$out/Alice" --duration "$seconds" --stats-json "$out/Alice.json" &
alice=$!
"$bin/tools/cli/diyuma-cli" join "${links[0]}" --name Bob --send-audio tone:620 \
    --record-audio "$out/Bob" --duration "$seconds" --stats-json "$out/Bob.json" &
bob=$!
wait $alice $bob

echo
echo "What they heard (written to $out/):"
for f in "$out"/*/*.wav; do
    printf '  %-24s %s\n' "${f#"$out"/}" "$(soxi -d "$f") long, RMS $(sox "$f" -n stat 2>&1 | awk '/RMS     amplitude/ {print $3}')"
done
echo "Stats: $out/Alice.json, $out/Bob.json"
