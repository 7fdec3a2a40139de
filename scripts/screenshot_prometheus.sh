#!/usr/bin/env bash
# Screenshot of Prometheus's graph of rate(appcore_http_requests_total[1m]) while the compose
# stack serves a load run, for the README.
#
#   scripts/screenshot_prometheus.sh [OUTPUT.png]     # default docs/prometheus-request-rate.png
#
# Brings up api, nginx and prometheus from docker-compose.yml (its own project name and free
# ports), drives POST /predict through nginx with wrk for APPCORE_SHOT_SECONDS (default 90, so
# Prometheus has several 15 s scrapes), screenshots the graph page with Debian's headless
# Chromium, and tears the stack down. Needs a working `docker` (or CONTAINER_ENGINE_UP, as in
# scripts/container_tests.sh); installs chromium, wrk, curl and jq with apt-get when root.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/deps.sh
source scripts/deps.sh

out=${1:-docs/prometheus-request-rate.png}
seconds=${APPCORE_SHOT_SECONDS:-90}
expr='rate(appcore_http_requests_total[1m])'

if [[ -n ${CONTAINER_ENGINE_UP:-} ]]; then
	eval "$("$CONTAINER_ENGINE_UP")"
fi
docker info >/dev/null 2>&1 || { echo "no container engine: docker info fails" >&2; exit 1; }
ensure_packages chromium wrk curl jq
if [[ -n ${CONTAINER_STANDIN:-} ]]; then
	"$CONTAINER_STANDIN" nginx:1.22 --apt nginx-light --entrypoint /usr/sbin/nginx --cmd '["-g","daemon off;"]'
	"$CONTAINER_STANDIN" prom/prometheus:v2.42.0 --apt prometheus --entrypoint /usr/bin/prometheus \
		--cmd '["--config.file=/etc/prometheus/prometheus.yml","--storage.tsdb.path=/prometheus"]'
fi

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export APPCORE_HTTP_PORT=${APPCORE_HTTP_PORT:-$(free_port)} PROMETHEUS_PORT=${PROMETHEUS_PORT:-$(free_port)}
export APPCORE_IMAGE=${APPCORE_IMAGE:-appcore:local}
# wrk drives thousands of requests per second from one address: above nginx's per-client limit
export APPCORE_NGINX_RATE_PER_IP=${APPCORE_NGINX_RATE_PER_IP:-1000000}
compose=(docker compose --project-directory "$PWD" -p appcore-screenshot -f docker-compose.yml)
# shellcheck disable=SC2206
compose+=(${APPCORE_SHOT_COMPOSE_FILES:-})
work=$(mktemp -d)
cleanup() {
	"${compose[@]}" down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "== stack up (nginx :$APPCORE_HTTP_PORT, prometheus :$PROMETHEUS_PORT)"
"${compose[@]}" up -d --build api nginx prometheus
deadline=$((SECONDS + 60))
until curl -fsS "http://127.0.0.1:$APPCORE_HTTP_PORT/health" >/dev/null 2>&1 &&
	curl -fsS "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" >/dev/null 2>&1; do
	((SECONDS < deadline)) || { echo "stack not answering after 60 s" >&2; exit 1; }
	sleep 0.5
done

echo "== load: wrk POST /predict for ${seconds}s through nginx"
cat >"$work/predict.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"instances":[[5.1,3.5,1.4,0.2]]}'
wrk.headers["Content-Type"] = "application/json"
LUA
wrk -t2 -c8 -d"${seconds}s" -s "$work/predict.lua" "http://127.0.0.1:$APPCORE_HTTP_PORT/predict"
# one more scrape after the load, so the graph shows the drop as well
sleep 20

echo "== Prometheus: $expr"
curl -fsS "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/query" --data-urlencode "query=$expr" |
	jq -r '.data.result[] | "\(.metric.route) \(.metric.status): \(.value[1]) req/s"'

mkdir -p "$(dirname "$out")"
[[ $out == /* ]] || out=$PWD/$out
url="http://127.0.0.1:$PROMETHEUS_PORT/graph?g0.expr=$(jq -rn --arg e "$expr" '$e|@uri')&g0.tab=0&g0.stacked=0&g0.range_input=5m"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$work/chromium" --hide-scrollbars --virtual-time-budget=15000 \
	--window-size=1400,900 --screenshot="$out" "$url" 2>"$work/chromium.log" ||
	{ cat "$work/chromium.log" >&2; exit 1; }
[[ -s $out ]] || { echo "no screenshot written" >&2; exit 1; }
echo "== wrote $out ($(stat -c %s "$out") bytes) from $url"
