#!/usr/bin/env bash
# The unit tests and fuzz-corpus replays under valgrind memcheck: any leak or
# memory error fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages "${APPCORE_BUILD_PACKAGES[@]}" valgrind

build=${BUILD_DIR:-build-valgrind}
[[ -f $build/build.ninja ]] || meson setup "$build" -Dbuildtype=debug >/dev/null
meson compile -C "$build" >/dev/null
# CK_FORK=no keeps Check's tests in the process valgrind watches
CK_FORK=no meson test -C "$build" --print-errorlogs --suite unit --suite fuzz-replay \
	--timeout-multiplier 10 \
	--wrap "valgrind --suppressions=$PWD/tests/valgrind.supp --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 --quiet"
