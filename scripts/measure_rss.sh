#!/usr/bin/env bash
# Resident memory of the real appcore-server, the numbers behind the Kubernetes resource
# requests/limits (docs/kubernetes.md "Resources"): idle, after 10 s of 64 connections sending
# one-row predictions, and after 15 s of 64 connections sending the largest batch the default
# config accepts (10,000 rows, ~760 KiB of JSON). Prints VmRSS (now) and VmHWM (peak).
#
#   scripts/measure_rss.sh            # uses build/ (scripts/test.sh builds it); needs wrk
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh
ensure_packages wrk curl python3
server=${APPCORE_SERVER:-build/appcore-server/appcore-server}
[[ -x $server ]] || { echo "no $server: run scripts/test.sh first" >&2; exit 1; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env -i PATH="$PATH" "$server" --config deploy/appcore/config.yaml --model examples/models/iris.json \
	--host 127.0.0.1 --port "$port" 2>"$work/server.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
rss() { awk '/^VmRSS|^VmHWM/ { printf "%s %.1f MiB  ", $1, $2 / 1024 }' "/proc/$pid/status"; echo; }

printf 'idle:                                    '; rss
cat >"$work/one.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"instances":[[5.1,3.5,1.4,0.2]]}'
wrk.headers["Content-Type"] = "application/json"
LUA
wrk -t2 -c64 -d10s -s "$work/one.lua" "http://127.0.0.1:$port/predict" | grep -E 'Requests/sec|Non-2xx' || true
printf '64 connections, 1-row requests:          '; rss

python3 - "$work/big.json" <<'PY'
import json, random, sys
random.seed(1)
rows = [[round(random.uniform(0, 8), 15) for _ in range(4)] for _ in range(10000)]
open(sys.argv[1], "w").write(json.dumps({"instances": rows}))
PY
cat >"$work/big.lua" <<LUA
local f = io.open("$work/big.json"); local b = f:read("*a"); f:close()
wrk.method = "POST"
wrk.body = b
wrk.headers["Content-Type"] = "application/json"
LUA
wrk -t2 -c64 -d15s -s "$work/big.lua" "http://127.0.0.1:$port/predict" | grep -E 'Requests/sec|Non-2xx' || true
printf '64 connections, 10,000-row requests (%s KiB): ' "$(($(stat -c %s "$work/big.json") / 1024))"; rss
