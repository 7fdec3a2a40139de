#!/usr/bin/env bash
# Prediction-log benchmark (bench/predlog/run.py): /predict with the log on vs off, and the
# writer's rows/s into a private PostgreSQL. Exits 1 when the on/off ratio is below 0.85.
#   bench/predlog.sh                    # DURATION=10 ROUNDS=3 CONNECTIONS=16
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages "${APPCORE_BUILD_PACKAGES[@]}" wrk
build=${BUILD_DIR:-build-release}
[[ -f $build/build.ninja ]] || meson setup "$build" --buildtype=release >/dev/null
BUILD_DIR=$PWD/$build exec python3 bench/predlog/run.py
