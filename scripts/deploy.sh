#!/usr/bin/env bash
# Deploy an appcore image on this host, with rollback.
#
#   scripts/deploy.sh IMAGE:TAG [-- SERVER_ARGS...]
#
# Steps: pull the image; stop the running container (kept as <name>-previous); start the new one
# on the published port; wait until GET /ready answers 2xx (checked inside the container with
# appcore-cli health, so it also proves the image's own tooling works); then remove the previous
# container. If the new container exits or is not ready in time, it is removed, the previous
# container is started again (checked the same way) and the script exits 1.
# Re-running with the image that already serves is a no-op (exit 0). The switch costs about a
# second of refused connections on the port: one container per host; for zero downtime run two
# behind the compose stack's nginx.
#
# Settings (environment):
#   APPCORE_DEPLOY_NAME        container name (default appcore)
#   APPCORE_DEPLOY_PORT        host port published to the container's 8000 (default 8000)
#   APPCORE_DEPLOY_BIND        host address to publish on (default 0.0.0.0)
#   APPCORE_DEPLOY_READY_PATH  readiness path (default /ready)
#   APPCORE_DEPLOY_TIMEOUT     seconds to wait for readiness (default 60)
#   APPCORE_DEPLOY_PULL        1 to docker pull first (default 1; 0 for images built on this host)
#   APPCORE_DEPLOY_ENV_FILE    optional env file with APPCORE_* settings (docker run --env-file)
# Exit codes: 0 deployed (or already deployed), 1 deploy failed (previous container restored if
# there was one), 2 usage error, 3 deploy failed and the rollback failed too.
set -euo pipefail

name=${APPCORE_DEPLOY_NAME:-appcore}
port=${APPCORE_DEPLOY_PORT:-8000}
bind=${APPCORE_DEPLOY_BIND:-0.0.0.0}
ready_path=${APPCORE_DEPLOY_READY_PATH:-/ready}
timeout=${APPCORE_DEPLOY_TIMEOUT:-60}
pull=${APPCORE_DEPLOY_PULL:-1}
env_file=${APPCORE_DEPLOY_ENV_FILE:-}
previous=$name-previous

step() { printf '[deploy %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() {
	printf '[deploy] error: %s\n' "$*" >&2
	exit "${2:-1}"
}

if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	[[ $# -lt 1 ]] && exit 2 || exit 0
fi
image=$1
shift
if [[ $# -gt 0 ]]; then
	[[ $1 == -- ]] || die "unexpected argument '$1' (server arguments go after --)" 2
	shift
fi
server_args=("$@")
[[ $image == *:* || $image == *@* ]] || die "IMAGE must carry a tag or digest, got '$image'" 2
[[ $port =~ ^[0-9]+$ && $timeout =~ ^[0-9]+$ ]] || die "APPCORE_DEPLOY_PORT/TIMEOUT must be numbers" 2

container_image_id() { docker inspect --format '{{.Image}}' "$1" 2>/dev/null || true; }
container_running() { [[ $(docker inspect --format '{{.State.Running}}' "$1" 2>/dev/null) == true ]]; }
exists() { docker inspect --format '{{.Id}}' "$1" >/dev/null 2>&1; }

probe() {
	docker exec "$1" /usr/local/bin/appcore-cli health --timeout-ms 2000 \
		"http://127.0.0.1:8000$ready_path" >/dev/null 2>&1
}

# Wait until container $1 answers on $ready_path, or fail early when it stops running.
wait_ready() {
	local deadline=$((SECONDS + timeout))
	while ((SECONDS < deadline)); do
		if ! container_running "$1"; then
			step "$1 is not running ($(docker inspect --format '{{.State.Status}}, restarts {{.RestartCount}}' "$1"))"
			return 1
		fi
		if probe "$1"; then
			return 0
		fi
		sleep 0.5
	done
	step "$1 not ready after ${timeout}s"
	return 1
}

start_container() {
	local run=(docker run -d --name "$name" --restart unless-stopped
		--read-only --cap-drop ALL --security-opt no-new-privileges:true
		--stop-timeout 10 --publish "$bind:$port:8000"
		--log-driver json-file --log-opt max-size=10m --log-opt max-file=3)
	[[ -n $env_file ]] && run+=(--env-file "$env_file")
	"${run[@]}" "$1" "${server_args[@]}" >/dev/null
}

step "deploying $image as container '$name' on $bind:$port"

if [[ $pull == 1 ]]; then
	step "pull $image"
	docker pull "$image" >/dev/null || die "cannot pull $image"
fi
new_id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) || die "no image $image on this host"

# A leftover from an interrupted run: the live container is missing but the previous one is here.
if ! exists "$name" && exists "$previous"; then
	step "found '$previous' without '$name' (interrupted deploy): restoring it first"
	docker rename "$previous" "$name"
	docker start "$name" >/dev/null
fi
exists "$previous" && docker rm -f "$previous" >/dev/null

old_image=""
if exists "$name"; then
	old_image=$(docker inspect --format '{{.Config.Image}}' "$name")
	if [[ $(container_image_id "$name") == "$new_id" ]] && container_running "$name" && probe "$name"; then
		step "'$name' already runs $image and is ready: nothing to do"
		exit 0
	fi
	step "current: '$name' runs $old_image; stopping it (kept as '$previous' for rollback)"
	docker stop "$name" >/dev/null
	docker rename "$name" "$previous"
else
	step "no current '$name' container: first deploy"
fi

step "start $image"
if start_container "$image" && step "wait for $ready_path (up to ${timeout}s)" && wait_ready "$name"; then
	step "'$name' is ready; traffic on $bind:$port now goes to $image"
	if exists "$previous"; then
		step "remove previous container ($old_image)"
		docker rm -f "$previous" >/dev/null
	fi
	step "done: $image deployed"
	exit 0
fi

step "new container failed; its last log lines:"
docker logs --tail 20 "$name" 2>&1 | sed 's/^/    /' || true
docker rm -f "$name" >/dev/null 2>&1 || true
if [[ -z $old_image ]]; then
	die "deploy of $image failed; there was no previous container to roll back to"
fi
step "roll back to $old_image"
docker rename "$previous" "$name"
docker start "$name" >/dev/null
if wait_ready "$name"; then
	step "rolled back: '$name' serves $old_image again"
	die "deploy of $image failed; rolled back to $old_image"
fi
die "deploy of $image failed and the rollback to $old_image is not ready either" 3
