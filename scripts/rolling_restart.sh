#!/usr/bin/env bash
# Restart the api replicas of the compose stack one at a time, without losing a request.
#
#   scripts/rolling_restart.sh [DOCKER COMPOSE OPTIONS...]
#   scripts/rolling_restart.sh -f docker-compose.yml                 # production stack
#   scripts/rolling_restart.sh -p myproject -f docker-compose.yml
#
# For each container of the `api` service (APPCORE_ROLLING_SERVICE): `docker restart` with the
# stop timeout, so the server gets SIGTERM and drains (its /ready turns 503, requests in flight
# finish), then wait until GET /ready answers inside the container (the model is loaded; probed
# with the image's appcore-cli, like the health check) before the next one. nginx re-resolves the
# service name every second and retries a request on another replica when one refuses, times out
# or answers 503, so traffic flows on through the others meanwhile. Use it after changing what
# the server reads at start: the model files in APPCORE_MODELS_DIR or the mounted config.
# (`docker compose up -d` after a change of image or environment recreates all replicas at
# once; for image upgrades on one host see scripts/deploy.sh.)
#
# Settings (environment):
#   APPCORE_ROLLING_SERVICE   compose service to restart (default api)
#   APPCORE_ROLLING_TIMEOUT   seconds to wait for each replica to be ready again (default 60)
#   APPCORE_ROLLING_STOP      seconds between SIGTERM and SIGKILL (default 10, > shutdown_grace_ms)
# Exit codes: 0 all replicas restarted and ready, 1 a replica did not come back (the rest were
# left alone), 2 usage error.
set -euo pipefail

service=${APPCORE_ROLLING_SERVICE:-api}
timeout=${APPCORE_ROLLING_TIMEOUT:-60}
stop=${APPCORE_ROLLING_STOP:-10}

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
fi
[[ $timeout =~ ^[0-9]+$ && $stop =~ ^[0-9]+$ ]] || {
	echo "rolling_restart: APPCORE_ROLLING_TIMEOUT and APPCORE_ROLLING_STOP must be numbers" >&2
	exit 2
}

say() { printf '[rolling %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

mapfile -t containers < <(docker compose "$@" ps -q "$service")
if ((${#containers[@]} == 0)); then
	echo "rolling_restart: no running containers of service '$service'" >&2
	exit 1
fi
ready() { docker exec "$1" /usr/local/bin/appcore-cli health --timeout-ms 2000 http://127.0.0.1:8000/ready >/dev/null 2>&1; }

say "${#containers[@]} replica(s) of '$service'"
for id in "${containers[@]}"; do
	name=$(docker container inspect --format '{{.Name}}' "$id")
	name=${name#/}
	say "restart $name (SIGTERM, up to ${stop}s to drain)"
	docker restart -t "$stop" "$id" >/dev/null
	deadline=$((SECONDS + timeout))
	until ready "$id"; do
		if ((SECONDS >= deadline)); then
			echo "rolling_restart: $name not ready after ${timeout}s; stopping here" >&2
			docker logs --tail 20 "$id" 2>&1 | sed 's/^/    /' >&2
			exit 1
		fi
		sleep 0.5
	done
	say "$name ready"
done
say "done: ${#containers[@]} replica(s) restarted"
