#!/bin/sh
# Hold the metrics text format to the ecosystem's own tools:
#   metrics_outside_check.sh SAMPLE_PROGRAM SOURCE_DIR promtool|python
# renders the sample (tests/metrics_sample.c) and feeds it to promtool's linter or to the
# official Python client's parser (tests/metrics_parse_check.py). Exit 77 (a skip) when the
# tool is not installed; scripts/test.sh installs both.
set -eu
sample=$1
source_dir=$2
tool=$3
text=$(mktemp)
trap 'rm -f "$text"' EXIT
"$sample" >"$text"
case $tool in
promtool)
	command -v promtool >/dev/null 2>&1 || { echo "skipped: promtool not installed"; exit 77; }
	# no output and exit 0: parsed and lint-clean (counters end in _total, ...)
	promtool check metrics <"$text"
	;;
python)
	[ -x /usr/bin/python3 ] || { echo "skipped: /usr/bin/python3 not installed"; exit 77; }
	/usr/bin/python3 "$source_dir/tests/metrics_parse_check.py" <"$text"
	;;
*)
	echo "unknown tool $tool" >&2
	exit 2
	;;
esac
