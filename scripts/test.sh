#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the dev build runs all tests, then
# an AddressSanitizer + UndefinedBehaviorSanitizer build runs the unit tests and the
# `fast` integration subset; last, the Debian packages are built, checked with lintian,
# installed, exercised and removed (tests/packaging/test-packages.sh; needs root). Works on a
# fresh Debian 12 machine with no display and no sound card. Exit status is non-zero if
# anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
export QT_QPA_PLATFORM=offscreen
jobs=$(nproc)

echo "== dev build: all tests"
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"
ctest --preset dev -j "$jobs"

echo "== asan-ubsan build: unit tests and the fast integration subset"
cmake --preset asan-ubsan >/dev/null
cmake --build --preset asan-ubsan -j "$jobs"
ctest --preset asan-ubsan -j "$jobs"

echo "== Debian packages: build, lintian, install, run the installed relay, remove"
bash tests/packaging/test-packages.sh build/packages
