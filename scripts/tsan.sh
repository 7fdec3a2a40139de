#!/usr/bin/env bash
# The concurrency tests under ThreadSanitizer (clang): metrics from many
# threads, a model shared across threads, and the server under parallel load.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages "${APPCORE_BUILD_PACKAGES[@]}" clang libclang-rt-14-dev

build=${BUILD_DIR:-build-tsan}
[[ -f $build/build.ninja ]] || CC=clang meson setup "$build" -Db_sanitize=thread \
	-Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
meson compile -C "$build" >/dev/null
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
meson test -C "$build" --print-errorlogs --suite unit --suite integration --timeout-multiplier 4
