#!/usr/bin/env bash
# Soak test: drive POST /predict with good and bad requests at high concurrency
# for SOAK_SECONDS (default 600), then check:
#   - every good request answered 200, bad ones only 400/422, zero 5xx, zero socket errors
#   - RSS after warm-up (first fifth of the run) grows by less than RSS_GROWTH_KB (default 2048)
#   - the server's appcore_http_requests_total for /predict equals the requests wrk
#     completed, give or take those in flight when wrk stopped (at most one per connection)
# Exit 0 only if all hold.   SOAK_SECONDS=30 bench/soak.sh   (what CI runs)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages wrk curl python3
seconds=${SOAK_SECONDS:-600}
connections=${SOAK_CONNECTIONS:-32}
growth_limit_kb=${RSS_GROWTH_KB:-2048}
build=${BUILD_DIR:-build}
out=bench/out/soak
mkdir -p "$out/bodies"

server=$build/appcore-server/appcore-server
[[ -x $server ]] || { echo "soak: build first ($server missing)" >&2; exit 2; }

# good: one row, a batch, a row with missing values; bad: 400 and 422 cases
printf '{"instances": [[5.1, 3.5, 1.4, 0.2]]}' >"$out/bodies/good-1"
python3 -c 'import json; print(json.dumps({"instances": [[4 + i % 30 / 10, 3, 1 + i % 7 / 3, 0.5] for i in range(200)]}))' >"$out/bodies/good-2"
printf '{"instances": [[6.2, null, 4.8, 1.8]], "output": "margin"}' >"$out/bodies/good-3"
printf '{"instances": [[1, 2, 3]]}' >"$out/bodies/bad-1"
printf '{"instances": [[1, 2, 3, 4]' >"$out/bodies/bad-2"
printf '{"instances": []}' >"$out/bodies/bad-3"
printf '[[1, 2, 3, 4]]' >"$out/bodies/bad-4"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
APPCORE_LOGGING_ACCESS_LOG=false "$server" --config configs/config.yaml --port "$port" \
	--threads $((connections + 8)) 2>"$out/server.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
for _ in $(seq 200); do
	curl -fs -o /dev/null "http://127.0.0.1:$port/ready" && break
	python3 -c 'import time; time.sleep(0.05)'
done
curl -fs -o /dev/null "http://127.0.0.1:$port/ready" || { echo "soak: server not ready" >&2; cat "$out/server.log" >&2; exit 1; }

rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
: >"$out/rss.log"
(
	while kill -0 "$pid" 2>/dev/null; do
		echo "$(date +%s) $(rss)" >>"$out/rss.log"
		python3 -c 'import time; time.sleep(1)'
	done
) &
sampler=$!

good_conn=$((connections * 3 / 4))
bad_conn=$((connections - good_conn))
BODIES_DIR=$out/bodies BODY_PREFIX=good- wrk -t2 -c"$good_conn" -d"${seconds}s" --latency \
	-s bench/soak/bodies.lua "http://127.0.0.1:$port/predict" >"$out/good.txt" &
good=$!
BODIES_DIR=$out/bodies BODY_PREFIX=bad- wrk -t1 -c"$bad_conn" -d"${seconds}s" \
	-s bench/soak/bodies.lua "http://127.0.0.1:$port/predict" >"$out/bad.txt" &
bad=$!
wait $good $bad
kill "$sampler" 2>/dev/null || true

curl -fs "http://127.0.0.1:$port/metrics" >"$out/metrics.txt"
kill -TERM "$pid"
wait "$pid" && server_exit=0 || server_exit=$?
trap - EXIT

python3 - "$out" "$seconds" "$growth_limit_kb" "$connections" "$server_exit" <<'PY'
import json, re, sys
out, seconds, limit_kb, connections, server_exit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def result(name):
    line = [l for l in open(f"{out}/{name}.txt") if l.startswith("RESULT ")][0]
    return json.loads(line[len("RESULT "):])
good, bad = result("good"), result("bad")
metrics = open(f"{out}/metrics.txt").read()
served = {}
for m in re.finditer(r'^appcore_http_requests_total\{method="POST",route="/predict",status="(\d+)"\} (\S+)$', metrics, re.M):
    served[m.group(1)] = int(float(m.group(2)))
samples = [int(l.split()[1]) for l in open(f"{out}/rss.log") if len(l.split()) == 2]
warm = samples[len(samples) // 5:] or samples
growth = max(warm) - warm[0]
completed = good["completed"] + bad["completed"]
server_total = sum(served.values())
checks = {
    "good requests all 200": set(good["statuses"]) == {"200"} and good["socket_errors"] == 0,
    "bad requests only 400/422": set(bad["statuses"]) <= {"400", "422"} and bad["socket_errors"] == 0,
    "no 5xx at the server": not any(s.startswith("5") for s in served),
    f"RSS growth after warm-up < {limit_kb} KiB": growth < limit_kb,
    "server counted every completed request": completed <= server_total <= completed + connections,
    "server exited 0 on SIGTERM": server_exit == 0,
}
rps = completed / seconds
print(f"soak {seconds}s, {connections} connections: {completed} requests ({rps:.0f}/s), "
      f"good p99 {good['p99_us'] / 1000:.2f} ms, statuses good={good['statuses']} bad={bad['statuses']}, "
      f"server counted {server_total}, RSS {warm[0]} -> {max(warm)} KiB (growth {growth} KiB)")
for name, ok in checks.items():
    print(f"  {'ok  ' if ok else 'FAIL'} {name}")
sys.exit(0 if all(checks.values()) else 1)
PY
