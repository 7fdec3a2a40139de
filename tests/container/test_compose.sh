#!/usr/bin/env bash
# The production compose file (docker-compose.yml alone) run as an operator would: .env is a copy
# of .env.example that serves their own model from their own directory (APPCORE_MODELS_DIR,
# APPCORE_MODEL_PATH/NAME/VERSION; the shipped files unchanged). api, nginx, prometheus,
# alertmanager and alert-log come up in order, a prediction of that model goes through nginx,
# nginx's own errors are JSON, /metrics is not public, Prometheus scrapes the api until its target
# is up, and the always-firing AppcoreWatchdog alert travels Prometheus -> Alertmanager -> the
# alert-log webhook receiver. Grafana cannot run here (no Debian package); test_files.sh checks its
# files structurally.
set -euo pipefail
# shellcheck source=tests/container/lib.sh
source "$(dirname "$0")/lib.sh"
ensure_image
ensure_standins

project=appcore-ct-$$
http_port=$(free_port)
prom_port=$(free_port)
am_port=$(free_port)
files=(-f "$ROOT/docker-compose.yml")
# The operator's .env: .env.example with their model directory and model, nothing else changed.
work=$(mktemp -d)
on_exit rm -rf "$work"
mkdir "$work/models"
cp "$ROOT/examples/models/iris.json" "$work/models/flowers.json"
chmod -R a+rX "$work"
sed -e "s|^APPCORE_ENV_FILE=.*|APPCORE_ENV_FILE=$work/.env|" \
	-e "s|^APPCORE_MODELS_DIR=.*|APPCORE_MODELS_DIR=$work/models|" \
	-e "s|^APPCORE_MODEL_PATH=.*|APPCORE_MODEL_PATH=/usr/share/appcore/models/flowers.json|" \
	-e "s|^APPCORE_MODEL_NAME=.*|APPCORE_MODEL_NAME=flowers|" \
	-e "s|^APPCORE_MODEL_VERSION=.*|APPCORE_MODEL_VERSION=7|" \
	-e "s|^APPCORE_LOGGING_LEVEL=.*|APPCORE_LOGGING_LEVEL=debug|" "$ROOT/.env.example" >"$work/.env"
compose() {
	APPCORE_IMAGE=$IMAGE APPCORE_HTTP_PORT=$http_port PROMETHEUS_PORT=$prom_port ALERTMANAGER_PORT=$am_port \
		docker compose --project-directory "$ROOT" --env-file "$work/.env" -p "$project" "${files[@]}" "$@"
}
on_exit compose down -v --remove-orphans --timeout 5
on_exit 'compose logs --no-color --tail 30 >&2'

log "docker compose up -d api nginx prometheus alertmanager alert-log (project $project, nginx on :$http_port)"
compose up -d --no-build api nginx prometheus alertmanager alert-log 2>&1 | sed 's/^/    /'
api=$(compose ps -q api)
[[ $(docker inspect --format '{{.State.Health.Status}}' "$api") == healthy ]] ||
	fail "nginx/prometheus started before the api was healthy"
pass "stack up; api healthy before its dependants started (depends_on: service_healthy)"

base=http://127.0.0.1:$http_port
wait_until 30 "nginx answering" curl -fsS "$base/health"
expect_http "GET /health through nginx" 200 '^\{"status":"ok"\}$' GET "$base/health"
got=$(curl -sS -D - -o /dev/null -H 'X-Request-ID: compose-test-1' "$base/health" | tr -d '\r')
grep -qi '^x-request-id: compose-test-1$' <<<"$got" || fail "X-Request-ID not passed through nginx: $got"
pass "X-Request-ID passes through nginx to the api and back"
expect_http "GET /metrics through nginx is not public (nginx's JSON 404)" 404 \
	'^\{"error":\{"code":"not_found","message":"not found"\}\}$' GET "$base/metrics"
head -c 1100000 /dev/zero | tr '\0' 'x' >"/tmp/appcore-big.$$"
on_exit rm -f "/tmp/appcore-big.$$"
expect_http "body over client_max_body_size (1 MiB) refused by nginx, JSON" 413 \
	'^\{"error":\{"code":"payload_too_large","message":"[^"]+"\}\}$' \
	POST "$base/predict" -H 'Content-Type: application/json' --data-binary "@/tmp/appcore-big.$$"
expect_http "GET /ready through nginx: the operator's model from .env" 200 \
	'"status":"ready","model":\{"name":"flowers","version":"7"\}' GET "$base/ready"
flowers_re=${PREDICT_RE/'"name":"iris","version":"1"'/'"name":"flowers","version":"7"'}
for _ in 1 2 3; do
	expect_http "POST /predict through nginx (model flowers/7 from APPCORE_MODELS_DIR)" 200 "$flowers_re" \
		POST "$base/predict" -H 'Content-Type: application/json' --data "$PREDICT_BODY"
done
# the effective configuration inside the container, with the source of each value
cfg=$(docker exec "$api" /usr/local/bin/appcore-server --print-config 2>&1) || fail "--print-config: $cfg"
for want in 'level: "debug" +# env' 'path: "/usr/share/appcore/models/flowers.json" +# env' \
	'name: "flowers" +# env' 'threads: 320 +# env'; do
	grep -Eq "^  $want\$" <<<"$cfg" || fail "not in the api's effective config: /$want/: $cfg"
done
pass "the APPCORE_<SECTION>_<KEY> settings of .env reached the api (print-config: model path/name, logging level, threads from env)"

prom=http://127.0.0.1:$prom_port
wait_until 30 "Prometheus API" curl -fsS "$prom/-/ready"
target_health() {
	curl -fsS "$prom/api/v1/targets?state=active" |
		jq -r '.data.activeTargets[] | select(.labels.job == "appcore") | "\(.health) \(.scrapeUrl) \(.lastError)"'
}
series_count() { curl -fsS "$prom/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result | length'; }
target_up() { [[ $(target_health) == up* ]]; }
requests_total_present() { (($(series_count 'appcore_http_requests_total{job="appcore"}') > 0)); }
# The first scrape comes within one 15 s interval of the start.
wait_until 60 "api target up in Prometheus" target_up
pass "Prometheus target: $(target_health)"
wait_until 60 "appcore_http_requests_total in Prometheus" requests_total_present
pass "appcore_http_requests_total has $(series_count 'appcore_http_requests_total{job="appcore"}') series in Prometheus"

rules=$(curl -fsS "$prom/api/v1/rules" | jq -r '[.data.groups[].rules[].name] | sort | join(",")')
[[ $rules == AppcoreHighErrorRatio,AppcoreHighLatencyP99,AppcoreTargetDown,AppcoreTargetMissing,AppcoreWatchdog ]] ||
	fail "Prometheus loaded rules: $rules"
pass "Prometheus loaded the 5 alerting rules"

am=http://127.0.0.1:$am_port
am_has_watchdog() { curl -fsS "$am/api/v2/alerts" | jq -e 'any(.[]; .labels.alertname == "AppcoreWatchdog")'; }
# first rule evaluation within 15 s, then Alertmanager's group_wait of 10 s
wait_until 90 "AppcoreWatchdog in Alertmanager" am_has_watchdog
pass "Prometheus sends its alerts to Alertmanager (AppcoreWatchdog is active there)"
alert_log=$(compose ps -q alert-log)
delivered() { docker logs "$alert_log" 2>/dev/null | grep 'AppcoreWatchdog' >/dev/null; }
wait_until 60 "the webhook notification at alert-log" delivered
line=$(docker logs "$alert_log" 2>/dev/null | grep -m1 'AppcoreWatchdog')
jq -e '.notification | fromjson | .status == "firing" and .receiver == "webhook"' <<<"$line" >/dev/null ||
	fail "alert-log line is not Alertmanager's webhook JSON: $line"
pass "Alertmanager delivered the notification to the webhook receiver (alert-log logged it as JSON)"

nginx=$(compose ps -q nginx)
logs=$(docker logs "$nginx" 2>/dev/null)
grep -q '"request_id":"compose-test-1"' <<<"$logs" || fail "nginx JSON access log lacks the request id: $logs"
pass "nginx writes JSON access logs with the request id to stdout"
