#!/usr/bin/env bash
# Build appcore and run the whole test suite. Idempotent: installs missing build
# dependencies (as root), reuses an existing build directory.
#   scripts/test.sh                 # build/ with the default compiler
#   BUILD_DIR=build-clang CC=clang scripts/test.sh
#   MESON_ARGS="-Db_sanitize=address,undefined" scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh

build_dir=${BUILD_DIR:-build}
packages=("${APPCORE_BUILD_PACKAGES[@]}" "${APPCORE_TEST_PACKAGES[@]}")
[[ ${CC:-} == clang* ]] && packages+=(clang libclang-rt-14-dev)
ensure_packages "${packages[@]}"

# shellcheck disable=SC2086
if [[ -f $build_dir/build.ninja ]]; then
	meson setup --reconfigure "$build_dir" ${MESON_ARGS:-} >/dev/null
else
	meson setup "$build_dir" ${MESON_ARGS:-}
fi
meson compile -C "$build_dir"
meson test -C "$build_dir" --print-errorlogs ${MESON_TEST_ARGS:-}

# No test may leave a process of this build behind (each harness also checks its own).
build_path=$(cd "$build_dir" && pwd)
if leftover=$(pgrep -a -f "^$build_path/" 2>/dev/null); then
	echo "processes left running by the tests:" >&2
	echo "$leftover" >&2
	exit 1
fi
