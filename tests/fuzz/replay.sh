#!/bin/sh
# replay.sh PROGRAM DIR... : run PROGRAM once over every file in the DIRs.
set -eu
program=$1
shift
files=$(for dir in "$@"; do [ -d "$dir" ] && find "$dir" -type f ! -name README.md; done | sort)
[ -n "$files" ] || { echo "no inputs in $*" >&2; exit 1; }
# shellcheck disable=SC2086
exec "$program" $files
