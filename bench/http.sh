#!/usr/bin/env bash
# HTTP benchmark, all in one run on this machine, wrk with keep-alive:
#   1. appcore-server POST /predict, one row, 50-tree binary model, access log on
#   2. the same with the access log off
#   3. bare CivetWeb answering a fixed body with the same options (the HTTP ceiling)
#   4. the Python seed design: FastAPI + gunicorn (2 uvicorn workers) + XGBoost
# Prints a Markdown table of requests/s, p50/p99 and RSS with ratios, writes
# bench/out/http.json and draws bench/http.png (gnuplot).
#   bench/http.sh                       # DURATION=15 CONNECTIONS=16
#   DURATION=5 SKIP_REFERENCE=1 bench/http.sh
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-15}
connections=${CONNECTIONS:-16}
threads=${WRK_THREADS:-2}
out=bench/out
build=${BUILD_DIR:-build-release}
mkdir -p "$out"

# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages "${APPCORE_BUILD_PACKAGES[@]}" wrk python3-xgboost python3-sklearn gnuplot-nox
[[ -n ${SKIP_REFERENCE:-} ]] || ensure_packages python3-fastapi python3-uvicorn gunicorn \
	python3-prometheus-client

[[ -f $build/build.ninja ]] || meson setup "$build" --buildtype=release >/dev/null
meson compile -C "$build" appcore-server bare_civetweb >/dev/null
[[ -f $out/binary50.json ]] || /usr/bin/python3 bench/http/make_bench_model.py "$out"
export BODY_FILE=$out/request.json

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() {
	for _ in $(seq 300); do
		curl -fs -o /dev/null "http://127.0.0.1:$1/health" && return 0
		python3 -c 'import time; time.sleep(0.05)'
	done
	echo "server on port $1 did not come up" >&2
	return 1
}
rss_kb() { # RSS of a process and its children, in KiB
	local total=0 pid
	for pid in "$1" $(pgrep -P "$1" || true); do
		total=$((total + $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
	done
	echo "$total"
}
run_wrk() { # name port pid
	wrk -t1 -c4 -d2s -s bench/http/predict.lua "http://127.0.0.1:$2/predict" >/dev/null # warm-up
	local line
	line=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s bench/http/predict.lua \
		"http://127.0.0.1:$2/predict" | sed -n 's/^RESULT //p')
	echo "{\"name\":\"$1\",\"rss_kb\":$(rss_kb "$3"),${line#\{}" >>"$out/http.jsonl"
	echo "$1: $line rss_kb=$(rss_kb "$3")" >&2
}
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

rm -f "$out/http.jsonl"
for access_log in true false; do
	port=$(free_port)
	APPCORE_LOGGING_ACCESS_LOG=$access_log APPCORE_MODEL_PATH=$PWD/$out/binary50.json \
		APPCORE_MODEL_NAME=bench APPCORE_SERVER_THREADS=64 \
		"$build/appcore-server/appcore-server" --port "$port" 2>"$out/server-$access_log.log" &
	pid=$!
	wait_up "$port"
	run_wrk "appcore (access log ${access_log/true/on})" "$port" "$pid"
	stop "$pid"
done
# the access-log-off label reads "appcore (access log false)"; make it "off"
sed -i 's/access log false/access log off/' "$out/http.jsonl"

port=$(free_port)
"$build/bench/bare_civetweb" "$port" 64 2>/dev/null &
pid=$!
wait_up "$port"
run_wrk "bare CivetWeb" "$port" "$pid"
stop "$pid"

if [[ -z ${SKIP_REFERENCE:-} ]]; then
	port=$(free_port)
	MODEL_PATH=$PWD/$out/binary50.json /usr/bin/python3 -m gunicorn -w 2 \
		-k uvicorn.workers.UvicornWorker -b "127.0.0.1:$port" --chdir bench/reference \
		--log-level warning app:app 2>"$out/reference.log" &
	pid=$!
	wait_up "$port"
	run_wrk "FastAPI reference" "$port" "$pid"
	stop "$pid"
fi

python3 bench/http/report.py "$out/http.jsonl" "$out/http.dat" "$duration" "$connections"
gnuplot -e "datafile='$out/http.dat'; outfile='bench/http.png'" bench/http/plot.gp
echo "chart: bench/http.png" >&2
