#!/bin/sh
# Start nginx for appcore and keep its upstream in step with the DNS.
#
#   entrypoint.sh [NGINX ARGS...]     default: -g 'daemon off;'  (nginx becomes this process)
#   entrypoint.sh -t                  render the configuration once and test it (nginx -t)
#
# 1. Renders runtime.conf (client limits) and upstream.conf (the api replicas) into a writable
#    run directory, links the mounted configuration next to them, and execs nginx there
#    (nginx -p RUN_DIR -c RUN_DIR/nginx.conf), so the container keeps a read-only root.
# 2. A watcher started before the exec resolves the upstream names again every
#    APPCORE_NGINX_RESOLVE_INTERVAL seconds (getent: the container's DNS, with the C library's
#    retries across its name servers). When the set of addresses changes (a replica added with
#    --scale, restarted with a new address, or stopped), it rewrites upstream.conf, checks the
#    configuration (nginx -t) and reloads nginx, which is graceful: requests in flight finish on
#    the old workers. A lookup that fails keeps the current upstream: a DNS hiccup never empties
#    it. Each applied change is recorded in RUN_DIR/upstream.applied. The watcher ends with nginx.
#
# Environment (defaults in brackets):
#   APPCORE_NGINX_UPSTREAM        the api as host:port, or several separated by spaces [api:8000]
#   APPCORE_NGINX_UPSTREAM_FILE   a file listing host:port lines; when it exists and lists any,
#                                 it replaces APPCORE_NGINX_UPSTREAM (scripts/deploy.sh switches
#                                 traffic by rewriting it)  [unset]
#   APPCORE_NGINX_RESOLVE_INTERVAL  seconds between lookups  [1]
#   APPCORE_NGINX_RATE_PER_IP     requests per second per client address  [1000]
#   APPCORE_NGINX_BURST_PER_IP    requests above that rate answered at once before 429  [2000]
#   APPCORE_NGINX_CONN_PER_IP     requests in progress at once per client address  [256]
#   APPCORE_NGINX_API_THREADS     server.threads of each api replica: the idle keep-alive pool
#                                 to the api is sized from it (below)  [320]
#   APPCORE_NGINX_KEEPALIVE       idle connections to the api kept per nginx worker, instead of
#                                 the computed size  [unset]
#   APPCORE_NGINX_CONF_DIR        where nginx.conf, appcore.conf and errors.conf are mounted
#                                 [the directory of this script]
#   APPCORE_NGINX_RUN_DIR         writable directory for the rendered files, pid, temp files
#                                 [/tmp/appcore-nginx]
# Plain POSIX sh plus getent and sort, so it runs on the official nginx image and on Debian's.
set -eu

conf_dir=${APPCORE_NGINX_CONF_DIR:-$(cd "$(dirname "$0")" && pwd)}
run_dir=${APPCORE_NGINX_RUN_DIR:-/tmp/appcore-nginx}
upstream=${APPCORE_NGINX_UPSTREAM:-api:8000}
upstream_file=${APPCORE_NGINX_UPSTREAM_FILE:-}
interval=${APPCORE_NGINX_RESOLVE_INTERVAL:-1}
rate=${APPCORE_NGINX_RATE_PER_IP:-1000}
burst=${APPCORE_NGINX_BURST_PER_IP:-2000}
conns=${APPCORE_NGINX_CONN_PER_IP:-256}
api_threads=${APPCORE_NGINX_API_THREADS:-320}
keepalive=${APPCORE_NGINX_KEEPALIVE:-}

log() { echo "appcore nginx entrypoint: $*" >&2; }
die() {
	log "$*"
	exit 1
}
is_count() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	*) [ "$1" -gt 0 ] ;;
	esac
}
is_count "$rate" || die "APPCORE_NGINX_RATE_PER_IP must be a positive integer, got '$rate'"
is_count "$burst" || die "APPCORE_NGINX_BURST_PER_IP must be a positive integer, got '$burst'"
is_count "$conns" || die "APPCORE_NGINX_CONN_PER_IP must be a positive integer, got '$conns'"
is_count "$interval" || die "APPCORE_NGINX_RESOLVE_INTERVAL must be a positive integer, got '$interval'"
is_count "$api_threads" || die "APPCORE_NGINX_API_THREADS must be a positive integer, got '$api_threads'"
[ -z "$keepalive" ] || is_count "$keepalive" ||
	die "APPCORE_NGINX_KEEPALIVE must be a positive integer, got '$keepalive'"
# worker_processes auto starts one worker per online processor
workers=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
is_count "$workers" || workers=1

# Idle connections to the api kept per worker, for $1 replicas. Every connection, idle or not,
# holds one of a replica's server.threads, and nginx opens a new one whenever a worker has no idle
# one: a pool as large as the requests in flight keeps every request on a reused connection (no
# connection set-up per request), while the workers' pools together keep a quarter of each
# replica's threads free for bursts and other clients.
pool_size() {
	if [ -n "$keepalive" ]; then
		echo "$keepalive"
		return
	fi
	size=$((api_threads * 3 / 4 * $1 / workers))
	[ "$size" -gt 0 ] || size=1
	echo "$size"
}

# The host:port targets, one per line: the file's when it lists any, else the variable's.
targets() {
	if [ -n "$upstream_file" ] && [ -r "$upstream_file" ] && grep -q '[^[:space:]]' "$upstream_file"; then
		grep -v '^[[:space:]]*\(#\|$\)' "$upstream_file"
	else
		for t in $upstream; do echo "$t"; done
	fi
}
check_target() {
	case $1 in
	*[!A-Za-z0-9.:_-]* | '' | :* | *:) return 1 ;;
	*:*[!0-9]*) return 1 ;; # the port must be a number
	*:*) return 0 ;;
	*) return 1 ;;
	esac
}
for t in $(targets); do
	check_target "$t" || die "upstream must be host:port, got '$t'"
done

# `server` lines for every address of every target, sorted; fails when a target does not resolve.
resolve() {
	for t in $(targets); do
		check_target "$t" || {
			log "ignoring upstream '$t': not host:port"
			return 1
		}
		host=${t%:*}
		port=${t##*:}
		addrs=$(getent ahostsv4 "$host" 2>/dev/null | while read -r ip _; do echo "$ip"; done | sort -u)
		[ -n "$addrs" ] || return 1
		for ip in $addrs; do
			echo "	server $ip:$port max_fails=1 fail_timeout=5s;"
		done
	done | sort -u
}

write_upstream() { # $1: server lines (may be empty)
	{
		echo "# rendered by entrypoint.sh from: $(targets | tr '\n' ' ')"
		echo "upstream appcore_api {"
		if [ -n "$1" ]; then
			echo "$1"
		else
			# nothing resolves yet: answer 502 until the watcher finds a replica
			echo "	server 127.0.0.1:9 down;"
		fi
		# Idle connections to the api kept per worker (pool_size above); closed before the
		# server's keep_alive_timeout_ms (5 s) does, so nginx never writes into a closing one.
		echo "	keepalive $(pool_size "$(printf '%s\n' "$1" | grep -c 'server ' || true)");"
		echo "	keepalive_timeout 4s;"
		echo "	keepalive_requests 10000;"
		echo "}"
	} >"$run_dir/upstream.conf.new"
	mv "$run_dir/upstream.conf.new" "$run_dir/upstream.conf"
}

nginx_cmd() { nginx -p "$run_dir/" -c "$run_dir/nginx.conf" -e stderr "$@"; }

mkdir -p "$run_dir"
for f in nginx.conf appcore.conf errors.conf; do
	[ -r "$conf_dir/$f" ] || die "missing $conf_dir/$f"
	ln -sf "$conf_dir/$f" "$run_dir/$f"
done
cat >"$run_dir/runtime.conf.new" <<CONF
# rendered by entrypoint.sh; do not edit
limit_req_zone \$binary_remote_addr zone=appcore_req_per_ip:10m rate=${rate}r/s;
limit_conn_zone \$binary_remote_addr zone=appcore_conn_per_ip:10m;
limit_req zone=appcore_req_per_ip burst=$burst nodelay;
limit_conn appcore_conn_per_ip $conns;
CONF
mv "$run_dir/runtime.conf.new" "$run_dir/runtime.conf"

current=$(resolve) || current=""
[ -n "$current" ] || log "upstream $(targets | tr '\n' ' ')does not resolve yet; answering 502 until it does"
write_upstream "$current"
echo "$current" >"$run_dir/upstream.applied"

[ $# -gt 0 ] || set -- -g 'daemon off;'
case " $* " in
*" -t "* | *" -T "* | *" -v "* | *" -V "* | *" -s "*) exec nginx -p "$run_dir/" -c "$run_dir/nginx.conf" -e stderr "$@" ;;
esac

master=$$ # the exec below keeps this process id: the watcher ends when nginx does
(
	trap '' HUP
	while sleep "$interval" && kill -0 "$master" 2>/dev/null; do
		next=$(resolve) || continue
		if [ -z "$next" ] || [ "$next" = "$current" ]; then
			continue
		fi
		previous=$current
		write_upstream "$next"
		if nginx_cmd -t -q 2>/dev/null && nginx_cmd -s reload; then
			current=$next
			echo "$current" >"$run_dir/upstream.applied"
			log "upstream now: $(echo "$current" | while read -r _ a _; do printf '%s ' "${a%;}"; done)"
		else
			log "new upstream failed nginx -t; keeping the previous one"
			write_upstream "$previous"
		fi
	done
) &
exec nginx -p "$run_dir/" -c "$run_dir/nginx.conf" -e stderr "$@"
