#!/usr/bin/env bash
# The main job on a fresh machine: installs what is missing, builds, and runs a local relay
# with two headless clients that talk to each other for a few seconds (the desktop app will
# take their place once it exists). What each client heard is written to out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$(nproc)" --target diyuma-relay diyuma-cli

bin=build/dev
out=out/demo
seconds=${DIYUMA_DEMO_SECONDS:-6}
rm -rf "$out"
mkdir -p "$out"

"$bin/relay/diyuma-relay" --listen 127.0.0.1:0 >"$out/relay.out" 2>"$out/relay.log" &
relay_pid=$!
trap 'kill $relay_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    [ -s "$out/relay.out" ] && break
    sleep 0.1
done
relay=$(head -n1 "$out/relay.out")
echo "relay listening on $relay"

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
