#!/usr/bin/env bash
# The concurrency tests under ThreadSanitizer (clang): metrics from many
# threads, a model shared across threads, and the server under parallel load.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages "${APPCORE_BUILD_PACKAGES[@]}" "${APPCORE_TEST_PACKAGES[@]}" clang libclang-rt-14-dev

build=${BUILD_DIR:-build-tsan}
[[ -f $build/build.ninja ]] || CC=clang meson setup "$build" -Db_sanitize=thread \
	-Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
meson compile -C "$build" >/dev/null
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
# clang 14's TSan cannot place its shadow memory when the kernel randomises
# mmap with more than 28 bits (recent kernels default to 32): lower it as root,
# otherwise run without address randomisation.
wrap=()
if [[ $(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28) -gt 28 ]]; then
	if [[ $(id -u) -eq 0 ]] && sysctl -qw vm.mmap_rnd_bits=28 2>/dev/null; then
		echo "tsan: vm.mmap_rnd_bits lowered to 28" >&2
	else
		wrap=(setarch "$(uname -m)" -R)
	fi
fi
"${wrap[@]}" meson test -C "$build" --print-errorlogs --suite unit --suite integration --timeout-multiplier 4
