#!/bin/sh
# Every public header compiles on its own, first in its translation unit, as strict C11 and as
# C++11 and C++17, with -pedantic -Werror (as dav1d checks its headers): a header that needs
# another one first, uses a C-only construct or warns under C++ fails here.
#   public_headers.sh SOURCE_DIR BUILD_DIR CC CXX
set -eu
source_dir=$1
build_dir=$2
cc=$3
cxx=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
includes="-I$source_dir/include -I$build_dir/include"
failed=0
count=0
for header in "$source_dir"/include/appcore.h "$source_dir"/include/appcore/*.h \
	"$build_dir"/include/appcore/version.h; do
	case $header in
	"$source_dir"/include/appcore.h) name=appcore.h ;;
	*) name=appcore/$(basename "$header") ;;
	esac
	printf '#include <%s>\n#include <%s>\nint appcore_header_test_%s;\n' "$name" "$name" \
		"$(echo "$name" | tr './' '__')" >"$work/t.c"
	cp "$work/t.c" "$work/t.cpp"
	# shellcheck disable=SC2086
	for run in "$cc -std=c11 -x c $work/t.c" "$cxx -std=c++11 -x c++ $work/t.cpp" \
		"$cxx -std=c++17 -x c++ $work/t.cpp"; do
		count=$((count + 1))
		if ! $run $includes -pedantic -Wall -Wextra -Werror -fsyntax-only 2>"$work/err"; then
			echo "FAIL: $name: $run" >&2
			cat "$work/err" >&2
			failed=$((failed + 1))
		fi
	done
done
# and the macros and initialisers in use
cp "$source_dir/tests/header_uses.c" "$work/uses.cpp"
# shellcheck disable=SC2086
for run in "$cc -std=c11 -x c $source_dir/tests/header_uses.c" \
	"$cxx -std=c++11 -x c++ $work/uses.cpp" "$cxx -std=c++17 -x c++ $work/uses.cpp"; do
	count=$((count + 1))
	if ! $run $includes -pedantic -Wall -Wextra -Werror -fsyntax-only 2>"$work/err"; then
		echo "FAIL: header_uses.c: $run" >&2
		cat "$work/err" >&2
		failed=$((failed + 1))
	fi
done
echo "$count compilations, $failed failed"
[ "$failed" -eq 0 ]
