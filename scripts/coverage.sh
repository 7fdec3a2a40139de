#!/usr/bin/env bash
# Line coverage of libappcore from the whole test suite (gcovr); fails under
# COVERAGE_MIN percent (default 85). Reports in build-coverage/coverage/.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages "${APPCORE_BUILD_PACKAGES[@]}" "${APPCORE_TEST_PACKAGES[@]}" gcovr

build=${BUILD_DIR:-build-coverage}
minimum=${COVERAGE_MIN:-85}
# atomic counters: threads (the scoring pool, the server's workers) update the same counters,
# and plain increments raced into negative counts that gcovr refuses to parse
[[ -f $build/build.ninja ]] || meson setup "$build" -Db_coverage=true -Dbuildtype=debug \
	-Dc_args=-fprofile-update=atomic >/dev/null
meson compile -C "$build" >/dev/null
# counts of an earlier run would add up with this one's
find "$build" -name '*.gcda' -delete
# abi and install check the shipped binaries, which coverage instrumentation
# changes (__gcov_* exports, --coverage needed to link): not run here
meson test -C "$build" --print-errorlogs --no-suite fuzz-replay --no-suite abi --no-suite install
mkdir -p "$build/coverage"
gcovr --root . --filter 'libappcore/' --object-directory "$build" \
	--html-details "$build/coverage/index.html" --xml "$build/coverage/coverage.xml" \
	--print-summary --fail-under-line "$minimum" "$build"
