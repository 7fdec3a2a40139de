#!/usr/bin/env bash
# Build the API reference (Doxygen, -Ddocs=enabled) into build-docs/ and fail on any Doxygen
# warning: every public declaration is documented and every reference resolves.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages "${APPCORE_BUILD_PACKAGES[@]}" doxygen
build_dir=${BUILD_DIR:-build-docs}
if [[ -f $build_dir/build.ninja ]]; then
	meson setup --reconfigure "$build_dir" -Ddocs=enabled -Dtests=disabled >/dev/null
else
	meson setup "$build_dir" -Ddocs=enabled -Dtests=disabled >/dev/null
fi
meson compile -C "$build_dir" docs
warnings=$build_dir/docs/doxygen-warnings.txt
if [[ -s $warnings ]]; then
	echo "Doxygen warnings:" >&2
	cat "$warnings" >&2
	exit 1
fi
echo "API reference: $build_dir/docs/html/index.html (no warnings)"
