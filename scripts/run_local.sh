#!/usr/bin/env bash
# Build appcore (installing missing dependencies as root) and run appcore-server
# in the foreground with configs/config.yaml. Extra arguments go to the server, e.g.:
#   scripts/run_local.sh --port 9000
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh

build_dir=${BUILD_DIR:-build}
ensure_packages "${APPCORE_BUILD_PACKAGES[@]}"
[[ -f $build_dir/build.ninja ]] || meson setup "$build_dir"
meson compile -C "$build_dir" appcore-server
exec "$build_dir/appcore-server/appcore-server" --config configs/config.yaml "$@"
