#!/usr/bin/env bash
# Builds the Debian packages in a plain Release build folder, checks them with lintian
# (errors fail), installs them with apt-get, and runs the installed relay with the installed
# example config: a two-client audio call with the installed diyuma-cli, /metrics (the
# forwarded-packet counter moved by what the clients sent), /healthz, SIGHUP, SIGTERM.
# Removes the packages and everything it started at the end, also on failure.
#
#   bash tests/packaging/test-packages.sh [BUILD_DIR]     (default build/packages; as root)
#
# Needs root (apt-get install); without root it stops after lintian and says so.
set -euo pipefail
cd "$(dirname "$0")/../.."
source_dir=$PWD
build_dir=${1:-build/packages}

say() { echo "== test-packages: $*"; }
die() {
    echo "test-packages: FAILED: $*" >&2
    exit 1
}

work=$(mktemp -d /tmp/diyuma-packages.XXXXXX)
relay_pid=""
installed=()
cleanup() {
    local status=$?
    if [ -n "$relay_pid" ] && kill -0 "$relay_pid" 2>/dev/null; then
        kill -KILL "$relay_pid" 2>/dev/null || true
    fi
    jobs -p | xargs -r kill 2>/dev/null || true
    if [ ${#installed[@]} -gt 0 ]; then
        say "removing ${installed[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${installed[@]}" >/dev/null 2>&1 ||
            echo "test-packages: could not remove ${installed[*]}" >&2
    fi
    if [ $status -ne 0 ] && [ -d "$work" ]; then
        for log in "$work"/*.err "$work"/*.log; do
            [ -f "$log" ] || continue
            echo "--- $log (last lines)" >&2
            tail -n 20 "$log" >&2
        done
    fi
    rm -rf "$work"
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build ----------------------------------------------------------------------------------
say "building in $build_dir (Release)"
# Tests and benchmarks are not packaged; leaving them out keeps this stage to the programs.
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDIYUMA_BUILD_TESTS=OFF \
    -DDIYUMA_BUILD_BENCH=OFF >"$work/configure.log"
cmake --build "$build_dir" -j "$(nproc)" >"$work/build.log"
rm -f "$build_dir"/*.deb
(cd "$build_dir" && cpack -G DEB >"$work/cpack.log" 2>&1)

version=$(sed -n 's/^project(diyuma VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
arch=$(dpkg --print-architecture)
relay_deb="$build_dir/diyuma-relay_${version}_${arch}.deb"
app_deb="$build_dir/diyuma_${version}_${arch}.deb"
[ -f "$relay_deb" ] || die "no $relay_deb (cpack made: $(ls "$build_dir"/*.deb 2>/dev/null))"
[ -f "$app_deb" ] || die "no $app_deb (cpack made: $(ls "$build_dir"/*.deb 2>/dev/null))"
debs=("$relay_deb" "$app_deb")

# --- package contents -------------------------------------------------------------------------
say "checking contents"
contents=$(dpkg-deb -c "$relay_deb")
for path in ./usr/bin/diyuma-relay ./usr/bin/diyuma-cli ./usr/bin/diyuma-netsim \
    ./usr/share/man/man1/diyuma-netsim.1.gz ./lib/systemd/system/diyuma-relay.service \
    ./etc/diyuma-relay/relay.toml ./usr/share/man/man1/diyuma-relay.1.gz \
    ./usr/share/doc/diyuma-relay/copyright ./usr/share/doc/diyuma-relay/changelog.gz; do
    grep -q " $path\$" <<<"$contents" || die "$relay_deb lacks $path"
done
dpkg-deb -f "$relay_deb" Depends | grep -q libc6 || die "Depends was not computed (shlibdeps)"
[ "$(dpkg-deb -I "$relay_deb" conffiles)" = /etc/diyuma-relay/relay.toml ] ||
    die "the relay package does not mark /etc/diyuma-relay/relay.toml as a conffile"
dpkg-deb -x "$relay_deb" "$work/relay-root"
dpkg-deb -x "$app_deb" "$work/app-root"
for bin in relay-root/usr/bin/diyuma-relay relay-root/usr/bin/diyuma-cli \
    relay-root/usr/bin/diyuma-netsim app-root/usr/bin/diyuma; do
    file "$work/$bin" | grep -q "stripped" || die "$bin: not an inspectable binary"
    file "$work/$bin" | grep -q "not stripped" && die "$bin is not stripped"
done
app_contents=$(dpkg-deb -c "$app_deb")
grep -q " ./usr/bin/diyuma\$" <<<"$app_contents" || die "$app_deb lacks /usr/bin/diyuma"
grep -q " ./usr/share/doc/diyuma/copyright\$" <<<"$app_contents" || die "$app_deb lacks copyright"
dpkg-deb -f "$app_deb" Depends | grep -q libc6 || die "the app's Depends was not computed"

# --- lintian ----------------------------------------------------------------------------------
say "lintian ${debs[*]}"
lintian --fail-on error --tag-display-limit 0 "${debs[@]}" | tee "$work/lintian.log" ||
    die "lintian reports errors"

# --- install ----------------------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
    say "not root: stopping before apt-get install (run as root for the rest)"
    exit 0
fi
if ! command -v curl >/dev/null; then
    say "installing curl (to scrape /metrics)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl >/dev/null
fi
say "apt-get install ${debs[*]}"
installed=(diyuma-relay)
[ -f "$app_deb" ] && installed+=(diyuma)
abs_debs=()
for deb in "${debs[@]}"; do abs_debs+=("$(realpath "$deb")"); done
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${abs_debs[@]}" >"$work/apt.log" 2>&1 ||
    die "apt-get install failed"
[ -x /usr/bin/diyuma-relay ] && [ -x /usr/bin/diyuma-cli ] || die "programs not installed"
[ -f /etc/diyuma-relay/relay.toml ] || die "example config not installed"
/usr/bin/diyuma-relay --config /etc/diyuma-relay/relay.toml --check-config >/dev/null ||
    die "the installed config does not pass --check-config"
if command -v systemd-analyze >/dev/null; then
    # Works without a running systemd. The man: link is checked only if man is installed.
    man_check=--man=yes
    command -v man >/dev/null || man_check=--man=no
    verify=$(systemd-analyze verify "$man_check" /lib/systemd/system/diyuma-relay.service 2>&1) ||
        die "systemd-analyze verify: $verify"
    [ -z "$verify" ] || die "systemd-analyze verify is not clean: $verify"
    say "systemd-analyze verify: clean ($man_check)"
fi
[ -f /usr/share/applications/diyuma.desktop ] || die "the app package installed no .desktop file"
grep -q "x-scheme-handler/diyuma" /usr/share/applications/diyuma.desktop ||
    die "the .desktop file does not register diyuma://"
desktop-file-validate /usr/share/applications/diyuma.desktop ||
    die "desktop-file-validate reports errors"
[ -f /usr/share/icons/hicolor/256x256/apps/diyuma.png ] || die "no 256x256 app icon installed"
/usr/bin/diyuma --version >/dev/null || die "the installed app does not start (--version)"

# --- run the installed relay ------------------------------------------------------------------
free_port() { # a free port of the given protocol (tcp or udp)
    python3 -c "import socket,sys
s=socket.socket(socket.AF_INET, socket.SOCK_STREAM if sys.argv[1]=='tcp' else socket.SOCK_DGRAM)
s.bind(('127.0.0.1',0)); print(s.getsockname()[1])" "$1"
}
udp_port=$(free_port udp)
metrics_port=$(free_port tcp)
relay_address="127.0.0.1:$udp_port"
metrics="http://127.0.0.1:$metrics_port"
say "starting /usr/bin/diyuma-relay with /etc/diyuma-relay/relay.toml on $relay_address"
# The flags win over the installed config: a free port, loopback metrics, a private state file.
/usr/bin/diyuma-relay --config /etc/diyuma-relay/relay.toml --listen "$relay_address" \
    --metrics "127.0.0.1:$metrics_port" --state-file "$work/state.json" \
    >"$work/relay.out" 2>"$work/relay.err" &
relay_pid=$!
for _ in $(seq 50); do
    [ -s "$work/relay.out" ] && break
    sleep 0.1
done
[ "$(head -n1 "$work/relay.out")" = "$relay_address" ] || die "the relay did not report $relay_address"
curl -fsS "$metrics/healthz" | grep -qx ok || die "/healthz is not ok"

metric() { # the value of one unlabelled sample
    curl -fsS "$metrics/metrics" | awk -v name="$1" '$1 == name { print $2 }'
}
before=$(metric diyuma_relay_forwarded_packets_total)
[ -n "$before" ] || die "/metrics has no diyuma_relay_forwarded_packets_total"

say "two-client call through the installed relay"
links=$(/usr/bin/diyuma-cli create --relay "$relay_address")
invite=$(head -n1 <<<"$links")
/usr/bin/diyuma-cli join "$invite" --name Alice --send-audio tone:440 --duration 3 \
    --stats-json "$work/alice.json" 2>"$work/alice.err" &
alice=$!
/usr/bin/diyuma-cli join "$invite" --name Bob --send-audio tone:660 --duration 3 \
    --stats-json "$work/bob.json" 2>"$work/bob.err" &
bob=$!
wait "$alice" || die "Alice's client failed"
wait "$bob" || die "Bob's client failed"
sleep 1.5 # the relay publishes its figures once a second

sent=$(python3 -c "import json,sys
print(sum(json.load(open(f))['sent']['audio_packets'] for f in sys.argv[1:]))" \
    "$work/alice.json" "$work/bob.json")
# The smallest share of what one client sent that the other one heard, in percent.
heard=$(python3 -c "import json,sys
a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
print(min(100 * a['remote']['Bob']['audio']['packets_received'] // max(1, b['sent']['audio_packets']),
          100 * b['remote']['Alice']['audio']['packets_received'] // max(1, a['sent']['audio_packets'])))" \
    "$work/alice.json" "$work/bob.json")
after=$(metric diyuma_relay_forwarded_packets_total)
moved=$((after - before))
say "clients sent $sent audio packets; forwarded_packets_total moved by $moved; each heard >= $heard% of the other"
[ "$sent" -ge 250 ] || die "the clients sent only $sent packets in 3 s"
[ "$heard" -ge 90 ] || die "a client heard only $heard% of what the other sent"
# Each packet goes to the one other participant; RTCP (if any) may add a few.
[ "$moved" -ge $((sent * 95 / 100)) ] && [ "$moved" -le $((sent * 105 / 100 + 20)) ] ||
    die "forwarded_packets_total moved by $moved, expected about $sent"
[ "$(metric diyuma_relay_participants)" = 0 ] || die "participants gauge is not back to 0"

say "SIGHUP: reload"
kill -HUP "$relay_pid"
for _ in $(seq 30); do
    grep -q "configuration reloaded" "$work/relay.err" && break
    sleep 0.1
done
grep -q "configuration reloaded" "$work/relay.err" || die "no reload after SIGHUP"
[ "$(curl -fsS "$metrics/metrics" | awk '$1 == "diyuma_relay_config_reloads_total{result=\"ok\"}" { print $2 }')" = 1 ] ||
    die "config_reloads_total did not count the reload"
kill -0 "$relay_pid" || die "the relay died on SIGHUP"

say "SIGTERM: stop"
start_ns=$(date +%s%N)
kill -TERM "$relay_pid"
wait "$relay_pid" || die "the relay exited with status $? on SIGTERM"
relay_pid=""
stop_ms=$((($(date +%s%N) - start_ns) / 1000000))
say "stopped in $stop_ms ms"
# The issue asks for "within a second"; the installed (Release) relay needs some ms.
[ "$stop_ms" -lt 1000 ] || die "the relay took $stop_ms ms to stop"
grep -q "stopped; final stats follow" "$work/relay.err" || die "no clean stop in the log"
curl -fsS "$metrics/healthz" >/dev/null 2>&1 && die "/healthz still answers after the stop"

say "all good"
