#!/usr/bin/env bash
# Static analysis over the project's own C code: cppcheck and clang-tidy (the
# committed .clang-tidy). Exit non-zero on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages "${APPCORE_BUILD_PACKAGES[@]}" cppcheck clang-tidy

build=${BUILD_DIR:-build-analyze}
[[ -f $build/build.ninja ]] || CC=clang meson setup "$build" >/dev/null
meson compile -C "$build" >/dev/null   # generated headers, compile_commands.json

sources=$(git ls-files 'libappcore/*.c' 'appcore-server/*.c' 'appcore-cli/*.c')
echo "=== cppcheck ===" >&2
# shellcheck disable=SC2086
cppcheck --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
	--std=c11 --quiet -D__GNUC__ -Iinclude -I"$build/include" -Ilibappcore \
	--suppress=missingIncludeSystem $sources

echo "=== clang-tidy ===" >&2
# shellcheck disable=SC2086
clang-tidy --quiet -p "$build" $sources 2>/dev/null
echo "static analysis: clean" >&2
