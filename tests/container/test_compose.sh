#!/usr/bin/env bash
# The production compose file (docker-compose.yml alone): api, nginx and prometheus come up in
# order, a prediction goes through nginx, /metrics is not public, and Prometheus scrapes the api
# until its target is up and appcore_http_requests_total is queryable. Grafana cannot run here
# (no Debian package); test_files.sh checks its files structurally.
set -euo pipefail
# shellcheck source=tests/container/lib.sh
source "$(dirname "$0")/lib.sh"
ensure_image
ensure_standins

project=appcore-ct-$$
http_port=$(free_port)
prom_port=$(free_port)
files=(-f "$ROOT/docker-compose.yml")
compose() {
	APPCORE_IMAGE=$IMAGE APPCORE_HTTP_PORT=$http_port PROMETHEUS_PORT=$prom_port \
		docker compose --project-directory "$ROOT" -p "$project" "${files[@]}" "$@"
}
on_exit compose down -v --remove-orphans --timeout 5
on_exit 'compose logs --no-color --tail 30 >&2'

log "docker compose up -d api nginx prometheus (project $project, nginx on :$http_port)"
compose up -d --no-build api nginx prometheus 2>&1 | sed 's/^/    /'
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
expect_http "GET /metrics through nginx is not public" 404 '404 Not Found.*nginx' GET "$base/metrics"
head -c 1100000 /dev/zero | tr '\0' 'x' >"/tmp/appcore-big.$$"
on_exit rm -f "/tmp/appcore-big.$$"
expect_http "body over client_max_body_size (1 MiB) refused by nginx" 413 '413 Request Entity Too Large' \
	POST "$base/predict" -H 'Content-Type: application/json' --data-binary "@/tmp/appcore-big.$$"
expect_http "GET /ready through nginx" 200 '"status":"ready"' GET "$base/ready"
for _ in 1 2 3; do
	expect_http "POST /predict through nginx" 200 "$PREDICT_RE" POST "$base/predict" \
		-H 'Content-Type: application/json' --data "$PREDICT_BODY"
done

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
[[ $rules == AppcoreHighErrorRatio,AppcoreHighLatencyP99,AppcoreTargetDown,AppcoreTargetMissing ]] ||
	fail "Prometheus loaded rules: $rules"
pass "Prometheus loaded the 4 alerting rules"

nginx=$(compose ps -q nginx)
logs=$(docker logs "$nginx" 2>/dev/null)
grep -q '"request_id":"compose-test-1"' <<<"$logs" || fail "nginx JSON access log lacks the request id: $logs"
pass "nginx writes JSON access logs with the request id to stdout"
