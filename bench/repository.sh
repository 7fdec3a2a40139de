#!/usr/bin/env bash
# Model repository benchmark, all in one run on this machine, wrk with keep-alive, one server
# over a repository holding one model (tests/fixtures/models/binary_logistic.json, 30 features,
# one row per request, access log off):
#   1. POST /v2/models/bench/infer (Open Inference Protocol) against POST /predict with the
#      same row: requests/s in alternating runs (ROUNDS each), ratio of the medians (goal:
#      infer >= 0.9 x /predict); TF Serving's :predict alongside.
#   2. p99 latency of infer while a new version is published (renamed into place + SIGHUP) and
#      the old one retired every SWAP_INTERVAL seconds, against the same load without swaps,
#      in alternating runs (goal: no visible change); every answer must be 2xx.
# Prints Markdown tables and writes bench/out/repository.jsonl.
#   bench/repository.sh                      # DURATION=6 ROUNDS=5 CONNECTIONS=16
#   DURATION=3 ROUNDS=2 bench/repository.sh
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-6}
rounds=${ROUNDS:-5}
connections=${CONNECTIONS:-16}
threads=${WRK_THREADS:-2}
interval=${SWAP_INTERVAL:-0.5}
out=bench/out
build=${BUILD_DIR:-build-release}
mkdir -p "$out"

# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages "${APPCORE_BUILD_PACKAGES[@]}" wrk curl

[[ -f $build/build.ninja ]] || meson setup "$build" --buildtype=release >/dev/null
meson compile -C "$build" appcore-server >/dev/null

model=tests/fixtures/models/binary_logistic.json
repo=$(mktemp -d)
trap 'rm -rf "$repo"; [[ -n ${pid:-} ]] && kill "$pid" 2>/dev/null; true' EXIT
mkdir -p "$repo/bench/1"
cp "$model" "$repo/bench/1/model.json"
python3 - "$out" <<'PY'
import json, sys
row = json.load(open("tests/fixtures/models/binary_logistic.cases.json"))["rows"][0]
out = sys.argv[1]
json.dump({"instances": [row]}, open(out + "/repo-predict.json", "w"))
json.dump({"instances": [row]}, open(out + "/repo-tfserving.json", "w"))
json.dump({"inputs": [{"name": "input-0", "shape": [1, len(row)], "datatype": "FP32",
                       "data": row}]}, open(out + "/repo-infer.json", "w"))
PY

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
APPCORE_LOGGING_ACCESS_LOG=false APPCORE_SERVER_THREADS=64 \
	"$build/appcore-server/appcore-server" --port "$port" --model-repository "$repo" \
	2>"$out/repository-server.log" &
pid=$!
for _ in $(seq 300); do
	curl -fs -o /dev/null "http://127.0.0.1:$port/v2/health/ready" && break
	python3 -c 'import time; time.sleep(0.05)'
done

rm -f "$out/repository.jsonl"
run_wrk() { # name path body [seconds]
	local line
	line=$(BODY_FILE=$3 wrk -t"$threads" -c"$connections" -d"${4:-$duration}s" --latency \
		-s bench/http/predict.lua "http://127.0.0.1:$port$2" | sed -n 's/^RESULT //p')
	echo "{\"name\":\"$1\",${line#\{}" >>"$out/repository.jsonl"
	echo "$1: $line" >&2
}

# warm-up, then the protocols in alternation so drift hits them alike
run_wrk warmup /predict "$out/repo-predict.json" 2
for round in $(seq "$rounds"); do
	run_wrk predict /predict "$out/repo-predict.json"
	run_wrk oip-infer /v2/models/bench/infer "$out/repo-infer.json"
	run_wrk tfserving /v1/models/bench:predict "$out/repo-tfserving.json"
done

# swaps: stage a version, rename it into place, SIGHUP, retire the previous one; versions
# keep counting up across rounds (the file remembers the last one)
echo 1 >"$out/swap-version"
swap_loop() {
	local version
	version=$(($(cat "$out/swap-version") + 1))
	while [[ ! -e $out/stop-swaps ]]; do
		mkdir -p "$repo/.staging/$version"
		cp "$model" "$repo/.staging/$version/model.json"
		mv "$repo/.staging/$version" "$repo/bench/$version"
		kill -HUP "$pid"
		sleep "$interval"
		rm -rf "$repo/bench/$((version - 1))"
		echo "$version" >"$out/swap-version"
		version=$((version + 1))
	done
}
for round in $(seq "$rounds"); do
	run_wrk steady /v2/models/bench/infer "$out/repo-infer.json"
	rm -f "$out/stop-swaps"
	loaded_before=$(grep -c '"msg":"model loaded"' "$out/repository-server.log" || true)
	swap_loop &
	swapper=$!
	run_wrk swapping /v2/models/bench/infer "$out/repo-infer.json"
	touch "$out/stop-swaps"
	wait "$swapper"
	loaded_after=$(grep -c '"msg":"model loaded"' "$out/repository-server.log" || true)
	echo "{\"name\":\"swaps\",\"count\":$((loaded_after - loaded_before))}" >>"$out/repository.jsonl"
done
rm -f "$out/stop-swaps"
kill -TERM "$pid"
wait "$pid" || true
pid=
python3 bench/repository/report.py "$out/repository.jsonl" "$duration" "$connections" "$interval"
