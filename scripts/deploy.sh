#!/usr/bin/env bash
# Deploy an appcore image on this host with zero downtime, behind its own nginx.
#
#   scripts/deploy.sh IMAGE:TAG [-- SERVER_ARGS...]    deploy (or upgrade to) IMAGE
#   scripts/deploy.sh --rollback                        go back to the image deployed before
#   scripts/deploy.sh --help
#
# What runs (NAME = APPCORE_DEPLOY_NAME, default appcore):
#   NAME-proxy       nginx with deploy/nginx/* (JSON errors, client limits, keep-alive pool),
#                    the only published port (APPCORE_DEPLOY_BIND:APPCORE_DEPLOY_PORT -> 8080);
#   NAME-<time>      the appcore container(s), reachable only on the network NAME-net;
#   NAME-proxy-state a volume holding the proxy's upstream list (which container is live).
# A deploy: start the new container beside the live one; wait until GET /ready answers inside it;
# point the proxy's upstream list at it (nginx reloads gracefully, requests in flight finish on
# the old workers, and the script waits until those are gone); then stop the old container with
# SIGTERM, which drains it, and remove it. A new container that exits or is not ready within
# APPCORE_DEPLOY_TIMEOUT never receives a request: it is removed and the live one keeps serving.
# Re-running with the same image, server arguments, env file content, config and models directory
# is a no-op ("nothing to do"); a change in any of them is a deploy.
#
# Settings (environment):
#   APPCORE_DEPLOY_NAME        name prefix of the containers, network and volume (default appcore)
#   APPCORE_DEPLOY_PORT        host port of the proxy (default 8000)
#   APPCORE_DEPLOY_BIND        host address to publish on (default 0.0.0.0)
#   APPCORE_DEPLOY_ENV_FILE    env file with APPCORE_<SECTION>_<KEY> settings (docker --env-file)
#   APPCORE_DEPLOY_MODELS_DIR  host directory mounted read-only at /usr/share/appcore/models;
#                              pick the model with APPCORE_MODEL_PATH in the env file or
#                              `-- --model /usr/share/appcore/models/NAME.json`
#   APPCORE_DEPLOY_CONFIG      host config file mounted read-only at /etc/appcore/config.yaml
#   APPCORE_DEPLOY_TIMEOUT     seconds to wait for the new container's /ready (default 60)
#   APPCORE_DEPLOY_PULL        1 to docker pull first (default 1; 0 for images built on this host)
#   APPCORE_DEPLOY_PROXY_IMAGE nginx image for the proxy (default nginx:1.22)
#   APPCORE_DEPLOY_NGINX_DIR   the proxy configuration (default: deploy/nginx next to this script)
#   APPCORE_NGINX_RATE_PER_IP, APPCORE_NGINX_BURST_PER_IP, APPCORE_NGINX_CONN_PER_IP
#                              client limits of the proxy (see deploy/nginx/entrypoint.sh), read
#                              when the proxy is created
#   APPCORE_NGINX_API_THREADS  server.threads of the deployed server (default 64, the image's):
#                              the proxy keeps at most 3/4 of it as idle keep-alive connections.
#                              Set it to the smallest --threads you deploy: a pool larger than
#                              the server's threads makes the server shed idle connections, and
#                              a POST that races the shedding is answered 503. Read when the
#                              proxy is created
# Exit codes: 0 deployed (or nothing to do), 1 deploy failed (the live container, if any, still
# serves), 2 usage error.
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
name=${APPCORE_DEPLOY_NAME:-appcore}
port=${APPCORE_DEPLOY_PORT:-8000}
bind=${APPCORE_DEPLOY_BIND:-0.0.0.0}
env_file=${APPCORE_DEPLOY_ENV_FILE:-}
models_dir=${APPCORE_DEPLOY_MODELS_DIR:-}
config=${APPCORE_DEPLOY_CONFIG:-}
timeout=${APPCORE_DEPLOY_TIMEOUT:-60}
pull=${APPCORE_DEPLOY_PULL:-1}
proxy_image=${APPCORE_DEPLOY_PROXY_IMAGE:-nginx:1.22}
nginx_dir=${APPCORE_DEPLOY_NGINX_DIR:-$script_dir/../deploy/nginx}
net=$name-net
proxy=$name-proxy
state=$name-proxy-state
upstream_file=/run/appcore-upstreams/upstreams

step() { printf '[deploy %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { # die MESSAGE [EXIT_CODE]
	printf '[deploy] error: %s\n' "$1" >&2
	exit "${2:-1}"
}
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
# Run a docker command; on failure show its own message, indented, and die with ours.
run() { # run "WHAT FAILED" docker ARGS...
	local what=$1 out
	shift
	if ! out=$("$@" 2>&1); then
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		die "$what"
	fi
	[[ -z $out ]] || printf '%s\n' "$out"
}

rollback=0
case ${1:-} in
-h | --help)
	usage
	exit 0
	;;
--rollback)
	rollback=1
	shift
	[[ $# -eq 0 ]] || die "--rollback takes no arguments (it reuses the previous deploy's)" 2
	;;
'' | -*)
	usage >&2
	die "IMAGE:TAG or --rollback required" 2
	;;
*)
	image=$1
	shift
	if [[ $# -gt 0 ]]; then
		[[ $1 == -- ]] || die "unexpected argument '$1' (server arguments go after --)" 2
		shift
	fi
	server_args=("$@")
	[[ $image == *:* || $image == *@* ]] || die "IMAGE must carry a tag or digest, got '$image'" 2
	;;
esac
[[ $port =~ ^[0-9]+$ && $timeout =~ ^[0-9]+$ ]] || die "APPCORE_DEPLOY_PORT and APPCORE_DEPLOY_TIMEOUT must be numbers" 2
[[ $name =~ ^[a-zA-Z0-9][a-zA-Z0-9_.-]*$ ]] || die "APPCORE_DEPLOY_NAME '$name' is not a valid container name" 2
[[ -z $env_file || -r $env_file ]] || die "APPCORE_DEPLOY_ENV_FILE '$env_file' is not a readable file" 2
[[ -z $config || -r $config ]] || die "APPCORE_DEPLOY_CONFIG '$config' is not a readable file" 2
[[ -z $models_dir || -d $models_dir ]] || die "APPCORE_DEPLOY_MODELS_DIR '$models_dir' is not a directory" 2
for f in entrypoint.sh nginx.conf appcore.conf errors.conf; do
	[[ -r $nginx_dir/$f ]] || die "proxy configuration $nginx_dir/$f missing (APPCORE_DEPLOY_NGINX_DIR)" 2
done
docker version >/dev/null 2>&1 || die "docker does not reach a container engine"
nginx_dir=$(cd "$nginx_dir" && pwd)
[[ -z $models_dir ]] || models_dir=$(cd "$models_dir" && pwd)
[[ -z $config ]] || config=$(cd "$(dirname "$config")" && pwd)/$(basename "$config")

exists() { docker container inspect --format '{{.Id}}' "$1" >/dev/null 2>&1; }
running() { [[ $(docker container inspect --format '{{.State.Running}}' "$1" 2>/dev/null) == true ]]; }
label() { docker container inspect --format "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null; }
ready() {
	docker exec "$1" /usr/local/bin/appcore-cli health --timeout-ms 2000 \
		http://127.0.0.1:8000/ready >/dev/null 2>&1
}
# The containers this deployment runs (any state), oldest first.
app_containers() {
	docker ps -a --filter "label=appcore.deploy=$name" --format '{{.Names}}' | sort
}
# The live containers: those the proxy's upstream list names.
live_containers() {
	running "$proxy" || return 0
	docker exec "$proxy" sh -c "cat $upstream_file 2>/dev/null" | sed -n 's/:8000$//p'
}
ip_of() { docker container inspect --format "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "$1"; }

if ((rollback)); then
	read -r live _ < <(live_containers | tail -1) || true
	[[ -n ${live:-} ]] || die "nothing is deployed as '$name'; nothing to roll back to"
	image=$(label "$live" appcore.deploy.previous-image)
	[[ -n $image ]] || die "'$live' records no previous image (it was the first deploy)"
	mapfile -t server_args < <(label "$live" appcore.deploy.args | tr '\037' '\n' | sed '/^$/d')
	step "rollback: '$live' runs $(label "$live" appcore.deploy.image); going back to $image"
	pull=0
fi

step "deploying $image as '$name' (proxy on $bind:$port)"
if [[ $pull == 1 ]]; then
	step "pull $image"
	run "cannot pull $image" docker pull -q "$image" >/dev/null
fi
new_id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) || die "no image $image on this host"

# What makes a deploy different: the image, the server arguments, the env file's content, the
# config file's content, the models directory.
hash_of() { if [[ -n $1 ]]; then sha256sum <"$1" | cut -c1-16; fi; }
args_joined=$(printf '%s\037' "${server_args[@]+"${server_args[@]}"}")
spec=$(printf 'image=%s\nargs=%s\nenv=%s\nconfig=%s:%s\nmodels=%s\n' "$new_id" "$args_joined" \
	"$(hash_of "$env_file")" "$config" "$(hash_of "$config")" "$models_dir" | sha256sum | cut -c1-16)

mapfile -t live < <(live_containers)
if ((${#live[@]} == 1)) && [[ $(label "${live[0]}" appcore.deploy.spec) == "$spec" ]] &&
	running "${live[0]}" && ready "${live[0]}"; then
	step "'${live[0]}' already runs $image with these arguments, env file, config and models, and is ready: nothing to do"
	exit 0
fi

# Leftovers of an interrupted deploy (containers the proxy does not route to) would only hold
# memory and names: remove them before starting.
for c in $(app_containers); do
	if ! printf '%s\n' "${live[@]+"${live[@]}"}" | grep -qx "$c"; then
		step "removing '$c' (not live: left over from an interrupted or failed deploy)"
		docker rm -f "$c" >/dev/null 2>&1 || true
	fi
done
# The layout of earlier versions: one container named NAME publishing the port itself.
if exists "$name" && [[ -z $(label "$name" appcore.deploy) ]]; then
	step "found '$name' from an earlier deploy.sh (no proxy): it is replaced; the port is down until the proxy starts"
fi

docker network inspect "$net" >/dev/null 2>&1 || run "cannot create network $net" docker network create "$net" >/dev/null

new=$name-$(date -u +%Y%m%d%H%M%S)-$((RANDOM % 1000))
previous_image=""
((${#live[@]} == 0)) || previous_image=$(label "${live[-1]}" appcore.deploy.image)
create=(docker run -d --name "$new" --network "$net" --restart unless-stopped
	--read-only --cap-drop ALL --security-opt no-new-privileges:true --stop-timeout 10
	--log-driver json-file --log-opt max-size=10m --log-opt max-file=3
	--label "appcore.deploy=$name" --label "appcore.deploy.spec=$spec"
	--label "appcore.deploy.image=$image" --label "appcore.deploy.previous-image=$previous_image"
	--label "appcore.deploy.args=$args_joined")
[[ -z $env_file ]] || create+=(--env-file "$env_file")
[[ -z $models_dir ]] || create+=(-v "$models_dir:/usr/share/appcore/models:ro")
[[ -z $config ]] || create+=(-v "$config:/etc/appcore/config.yaml:ro")
step "start '$new' from $image${server_args[*]+ with arguments: ${server_args[*]}}"
run "cannot start a container from $image" "${create[@]}" "$image" "${server_args[@]+"${server_args[@]}"}" >/dev/null

step "wait for /ready in '$new' (up to ${timeout}s)"
deadline=$((SECONDS + timeout))
until ready "$new"; do
	if ! running "$new" || ((SECONDS >= deadline)); then
		if running "$new"; then
			why="not ready after ${timeout}s"
		else
			why="exited ($(docker container inspect --format '{{.State.Status}}, exit code {{.State.ExitCode}}' "$new"))"
		fi
		step "'$new' $why; its last log lines:"
		docker logs --tail 20 "$new" 2>&1 | sed 's/^/    /'
		docker rm -f "$new" >/dev/null 2>&1 || true
		if ((${#live[@]})); then
			die "deploy of $image failed: the new container $why; '${live[*]}' ($previous_image) still serves, it never stopped"
		fi
		die "deploy of $image failed: the new container $why; nothing was serving before either"
	fi
	sleep 0.5
done
step "'$new' is ready"

if ! running "$proxy"; then
	if exists "$proxy"; then
		docker rm -f "$proxy" >/dev/null
	fi
	if exists "$name" && [[ -z $(label "$name" appcore.deploy) ]]; then
		docker stop -t 10 "$name" >/dev/null 2>&1 || true
		docker rm -f "$name" >/dev/null 2>&1 || true
	fi
	step "start the proxy '$proxy' ($proxy_image) on $bind:$port"
	run "cannot start the proxy" docker run -d --name "$proxy" --network "$net" --restart unless-stopped \
		--read-only --tmpfs /tmp --tmpfs /var/cache/nginx --tmpfs /var/lib/nginx \
		--tmpfs /var/log/nginx --tmpfs /run --security-opt no-new-privileges:true \
		--stop-signal SIGQUIT --stop-timeout 20 \
		--log-driver json-file --log-opt max-size=10m --log-opt max-file=3 \
		--publish "$bind:$port:8080" --label "appcore.deploy.proxy=$name" \
		-v "$nginx_dir:/etc/nginx/appcore:ro" -v "$state:/run/appcore-upstreams" \
		-e APPCORE_NGINX_UPSTREAM="$new:8000" -e APPCORE_NGINX_UPSTREAM_FILE="$upstream_file" \
		-e APPCORE_NGINX_RATE_PER_IP -e APPCORE_NGINX_BURST_PER_IP -e APPCORE_NGINX_CONN_PER_IP \
		-e APPCORE_NGINX_API_THREADS="${APPCORE_NGINX_API_THREADS:-64}" \
		--entrypoint /bin/sh "$proxy_image" /etc/nginx/appcore/entrypoint.sh -g 'daemon off;' >/dev/null
fi

# Switch: the proxy's list now names only the new container. Its entrypoint watcher sees the
# change within a second, checks the configuration and reloads nginx gracefully.
applied() {
	{ docker exec "$proxy" cat /tmp/appcore-nginx/upstream.applied 2>/dev/null || true; } |
		{ grep -o 'server [0-9.:]*' || true; } | tr '\n' ' '
}
before=$(applied)
# (grep reads every process's cmdline; some end meanwhile, hence `|| true`)
old_workers=$(docker exec "$proxy" sh -c 'grep -l "worker process" /proc/[0-9]*/cmdline 2>/dev/null || true' |
	cut -d/ -f3 | tr '\n' ' ') || old_workers=""
printf '%s:8000\n' "$new" | run "cannot write the proxy's upstream list" \
	docker exec -i "$proxy" sh -c "cat >$upstream_file.new && mv $upstream_file.new $upstream_file"
new_ip=$(ip_of "$new")
deadline=$((SECONDS + 30))
until [[ $(applied) == "server $new_ip:8000 " ]]; do
	if ((SECONDS >= deadline)); then
		docker logs --tail 20 "$proxy" 2>&1 | sed 's/^/    /'
		die "the proxy did not switch to '$new' ($new_ip) within 30s (it routes to: $(applied)); '$new' is left running"
	fi
	sleep 0.2
done
step "proxy now routes to '$new' ($new_ip:8000)"
# Requests that old nginx workers had already passed on finish there; wait until those workers
# are gone before the old container stops (bounded by proxy_read_timeout, 15 s). No reload (the
# proxy already routed there, e.g. it was just started for it): nothing to wait for.
[[ $before != "server $new_ip:8000 " ]] || old_workers=""
deadline=$((SECONDS + 30))
for pid in $old_workers; do
	while docker exec "$proxy" test -e "/proc/$pid" 2>/dev/null && ((SECONDS < deadline)); do
		sleep 0.2
	done
done

for c in "${live[@]+"${live[@]}"}"; do
	step "drain and remove '$c' ($(label "$c" appcore.deploy.image)): SIGTERM, up to 10 s"
	docker stop -t 10 "$c" >/dev/null 2>&1 || true
	docker rm -f "$c" >/dev/null 2>&1 || true
done
step "done: $image serves on $bind:$port (container '$new')"
