#!/usr/bin/env bash
# Scale-out rehearsal with docker-compose.yml alone, under steady load through nginx
# (tests/container/loadgen.py, every answer counted, nothing retried):
#   1. one api replica -> `up -d --scale api=3`: nginx picks the new replicas up by itself and
#      spreads requests over all three;
#   2. scripts/rolling_restart.sh restarts the three one after another;
#   3. `--scale api=2` stops one.
# Passes when the load generator saw no non-2xx answer and no failed request.
set -euo pipefail
# shellcheck source=tests/container/lib.sh
source "$(dirname "$0")/lib.sh"
ensure_image
ensure_standins

project=appcore-scale-$$
http_port=$(free_port)
compose() {
	APPCORE_IMAGE=$IMAGE APPCORE_HTTP_PORT=$http_port \
		docker compose --project-directory "$ROOT" -p "$project" -f "$ROOT/docker-compose.yml" "$@"
}
work=$(mktemp -d)
on_exit rm -rf "$work"
on_exit compose down -v --remove-orphans --timeout 10
on_exit 'compose logs --no-color --tail 20 nginx >&2'

log "docker compose up -d api nginx (project $project, one replica, nginx on :$http_port)"
compose up -d --no-build api nginx 2>&1 | sed 's/^/    /'
base=http://127.0.0.1:$http_port
wait_until 30 "nginx answering /ready" curl -fsS "$base/ready"
nginx=$(compose ps -q nginx)
upstreams() { docker exec "$nginx" cat /tmp/appcore-nginx/upstream.applied | grep -c server || true; }
replicas_ready() {
	local n=0 id
	for id in $(compose ps -q api); do
		docker exec "$id" /usr/local/bin/appcore-cli health --timeout-ms 2000 http://127.0.0.1:8000/ready || return 1
		n=$((n + 1))
	done
	((n == $1))
}

rate=${APPCORE_REHEARSAL_RATE:-200}
log "load: POST /predict at $rate requests/s over 8 keep-alive connections"
python3 "$ROOT/tests/container/loadgen.py" "$base/predict" --rate "$rate" --connections 8 \
	--stop-file "$work/stop" --max-seconds 1200 >"$work/load.json" &
loadgen=$!
on_exit "touch '$work/stop'; wait $loadgen"

log "scale to 3 replicas while the load runs"
compose up -d --no-build --scale api=3 api 2>&1 | sed 's/^/    /'
wait_until 60 "3 replicas ready" replicas_ready 3
up3() { [[ $(upstreams) == 3 ]]; }
wait_until 30 "nginx upstream with 3 addresses" up3
pass "nginx found the 3 replicas by itself: $(docker exec "$nginx" cat /tmp/appcore-nginx/upstream.applied | tr -s '\t\n' ' ')"

served() { docker logs "$1" 2>&1 | grep -c '"path":"/predict"' || true; }
all_served() {
	local id
	for id in $(compose ps -q api); do
		(($(served "$id") >= 50)) || return 1
	done
}
wait_until 60 "every replica served >= 50 predictions" all_served
counts=$(for id in $(compose ps -q api); do printf '%s ' "$(served "$id")"; done)
pass "load spread over the 3 replicas (predictions served so far: $counts)"

log "rolling restart of the 3 replicas under load"
"$ROOT/scripts/rolling_restart.sh" --project-directory "$ROOT" -p "$project" -f "$ROOT/docker-compose.yml" 2>&1 |
	sed 's/^/    /'
pass "scripts/rolling_restart.sh restarted every replica"

log "scale down to 2 replicas under load"
compose up -d --no-build --scale api=2 api 2>&1 | sed 's/^/    /'
up2() { [[ $(upstreams) == 2 ]]; }
wait_until 30 "nginx upstream with 2 addresses" up2
# a little more traffic on the final set before the count
sleep 2

touch "$work/stop"
wait "$loadgen" || true
summary=$(cat "$work/load.json")
log "load generator: $summary"
read -r sent answered non2xx failed seconds < <(jq -r '"\(.sent) \(.answered) \(.non_2xx) \(.failed) \(.seconds)"' <<<"$summary")
# the load must have run through every step, not stopped at its own time limit
[[ ${seconds%.*} -lt 1199 ]] || fail "the load generator hit its 1200 s limit before the rehearsal ended"
((sent > 1000)) || fail "only $sent requests sent"
((non2xx == 0 && failed == 0 && answered == sent)) ||
	fail "requests lost during scale-out / rolling restart / scale-in: $summary"
pass "scale 1 -> 3, rolling restart, scale 3 -> 2 under load: $sent requests, $answered answered 2xx, 0 non-2xx, 0 failed"
