#!/usr/bin/env bash
# Build the libFuzzer targets with clang + ASan + UBSan and run each for SECONDS
# (default 60) over its seed corpus (tests/fuzz/corpus/<target>/), with new
# coverage kept in a scratch copy. Any crash, leak or sanitizer report fails the
# run and leaves the input in tests/fuzz/artifacts/: copy it to
# tests/fuzz/regressions/<target>/ once fixed, so every test run replays it.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages "${APPCORE_BUILD_PACKAGES[@]}" clang libclang-rt-14-dev

seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(predict model_load model_ubjson config metrics)
build=${FUZZ_BUILD_DIR:-build-fuzz}

if [[ ! -f $build/build.ninja ]]; then
	CC=clang meson setup "$build" -Dfuzzing=true -Dbuildtype=debugoptimized \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link -Dserver=disabled >/dev/null
fi
meson compile -C "$build" $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p tests/fuzz/artifacts
status=0
for target in "${targets[@]}"; do
	scratch=$(mktemp -d)
	cp -r "tests/fuzz/corpus/$target/." "$scratch/"
	[[ -d tests/fuzz/regressions/$target ]] && cp -r "tests/fuzz/regressions/$target/." "$scratch/"
	dict=()
	[[ -f tests/fuzz/$target.dict ]] && dict=(-dict="tests/fuzz/$target.dict")
	echo "=== fuzz_$target for ${seconds}s ===" >&2
	if ! "$build/tests/fuzz/fuzz_$target" "$scratch" "${dict[@]}" -max_total_time="$seconds" \
		-max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="tests/fuzz/artifacts/$target-" 2>"$build/fuzz_$target.log"; then
		echo "fuzz_$target FAILED: see $build/fuzz_$target.log and tests/fuzz/artifacts/" >&2
		tail -40 "$build/fuzz_$target.log" >&2
		status=1
	else
		grep -E "stat::number_of_executed_units|stat::new_units_added" "$build/fuzz_$target.log" | \
			sed "s/^/  fuzz_$target /" >&2
	fi
	rm -rf "$scratch"
done
exit $status
