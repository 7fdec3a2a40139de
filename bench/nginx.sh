#!/usr/bin/env bash
# The shipped nginx in front of appcore-server against the same nginx in front of trivial
# fixed-body upstreams, in one run (bench/nginx/run.py).
#   bench/nginx.sh                         # 256 connections, 10 s per path
#   CONNECTIONS=1024 DURATION=5 bench/nginx.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages "${APPCORE_BUILD_PACKAGES[@]}" wrk nginx
build=${BUILD_DIR:-build-release}
[[ -f $build/build.ninja ]] || meson setup "$build" --buildtype=release >/dev/null
meson compile -C "$build" appcore-server bare_civetweb >/dev/null
ulimit -n "$(ulimit -Hn)"
exec python3 bench/nginx/run.py "$build"
