#!/usr/bin/env bash
# The HTTP front under many, slow and hostile clients (docs/http-front.md): probes while
# threads + 200 keep-alive clients hold connections, /predict under 500 slowloris + 100
# slow-body connections against the same load alone, SIGTERM under 64 connections, memory
# after 1 MB bodies. All on this machine, in one run; see bench/front/scenarios.py.
#   bench/front.sh                          # every scenario, 10 s per measured run
#   SECONDS_PER_RUN=5 bench/front.sh drain  # one scenario, shorter
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages "${APPCORE_BUILD_PACKAGES[@]}" wrk curl
build=${BUILD_DIR:-build-release}
[[ -f $build/build.ninja ]] || meson setup "$build" --buildtype=release >/dev/null
meson compile -C "$build" appcore-server bench/no_mallopt >/dev/null
ulimit -n "$(ulimit -Hn)"
exec python3 bench/front/scenarios.py "$build" "$@"
