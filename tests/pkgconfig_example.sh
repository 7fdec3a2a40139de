#!/bin/sh
# Install the build into a staging prefix and build examples/version_check.c
# as an outside program would: only with `pkg-config --cflags --libs appcore`.
# Both the shared and the static (--static) link are checked.
set -eu
build_dir=$1
source_dir=$2
cc=${CC:-cc}
# the sanitizer flags the library was built with, if any (its objects need their runtime)
extra_flags=${EXTRA_FLAGS:-}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

meson install -C "$build_dir" --destdir "$stage" --no-rebuild --quiet >/dev/null
pc_file=$(find "$stage" -name appcore.pc | head -n 1)
[ -n "$pc_file" ] || { echo "appcore.pc was not installed" >&2; exit 1; }
PKG_CONFIG_PATH=$(dirname "$pc_file")
PKG_CONFIG_SYSROOT_DIR=$stage
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

cflags=$(pkg-config --cflags appcore)
libs=$(pkg-config --libs appcore)
static_libs=$(pkg-config --static --libs appcore)
echo "cflags: $cflags"
echo "libs: $libs"

# strict C11 with pedantic warnings as errors: the public headers must be clean
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -pedantic -Werror $extra_flags $cflags \
	"$source_dir/examples/version_check.c" -o "$stage/version_check" $libs
libdir=$(dirname "$(find "$stage" -name 'libappcore.so.*' | head -n 1)")
LD_LIBRARY_PATH=$libdir "$stage/version_check"

# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -pedantic -Werror $extra_flags $cflags \
	"$source_dir/examples/version_check.c" -o "$stage/version_check_static" \
	-Wl,-Bstatic -lappcore -Wl,-Bdynamic $(echo "$static_libs" | sed 's/-lappcore//')
if ldd "$stage/version_check_static" | grep -q libappcore; then
	echo "static example still links libappcore.so" >&2
	exit 1
fi
"$stage/version_check_static"
