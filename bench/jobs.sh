#!/usr/bin/env bash
# Batch-job throughput (bench/jobs/bench_jobs.py): appcore-cli predict on a 1,000,000-row CSV
# against the same file as a job scored by 1 and by 2 appcore-cli worker processes, with a
# real redis-server and appcore-server, in interleaved rounds. Prints a Markdown table.
#   bench/jobs.sh                      # ROWS=1000000 ROUNDS=3
#   ROWS=200000 ROUNDS=1 bench/jobs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages "${APPCORE_BUILD_PACKAGES[@]}" "${APPCORE_TEST_PACKAGES[@]}"

build=${BUILD_DIR:-build-release}
[[ -f $build/build.ninja ]] || meson setup "$build" --buildtype=release >/dev/null
meson compile -C "$build" appcore-server appcore-cli >/dev/null
mkdir -p bench/out
APPCORE_SERVER=$PWD/$build/appcore-server/appcore-server APPCORE_CLI=$PWD/$build/appcore-cli/appcore-cli \
	APPCORE_SOURCE_DIR=$PWD python3 bench/jobs/bench_jobs.py --rows "${ROWS:-1000000}" \
	--rounds "${ROUNDS:-3}" --json bench/out/jobs.json
