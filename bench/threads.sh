#!/usr/bin/env bash
# Prediction threads (model.predict_threads, appcore_pool) where the shells use them, in one
# run on this machine (bench/threads/run.py):
#   1. appcore-cli predict -f csv on 100,000 rows with --threads 1 and 2, alternating: wall
#      time, ratio of the medians.
#   2. appcore-server, one large /predict (5,000 rows) at a time and four at a time, with
#      model.predict_threads 1 and 2, alternating: median and p99 latency.
# The model: a 500-tree regression (tests/fixtures/models/reg_squarederror.json's 12 trees,
# depth 3, 10 features, repeated), or MODEL=PATH (e.g. bench/engine/make_models.py's
# t500_d8_f100.json: 500 trees of depth 8, 100 features). Prints Markdown tables.
#   bench/threads.sh                 # ROUNDS=5
#   ROUNDS=3 bench/threads.sh
#   MODEL=build-bench/models/t500_d8_f100.json bench/threads.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages "${APPCORE_BUILD_PACKAGES[@]}"
build=${BUILD_DIR:-build-release}
[[ -f $build/build.ninja ]] || meson setup "$build" --buildtype=release >/dev/null
meson compile -C "$build" appcore-server appcore-cli >/dev/null
exec python3 bench/threads/run.py "$build" "${ROUNDS:-5}"
