#!/bin/sh
# Start nginx for appcore: render runtime.conf from the environment into a writable run directory,
# link the mounted configuration next to it, then exec nginx (PID 1 in a container).
#
#   entrypoint.sh [NGINX ARGS...]     default: -g 'daemon off;'
#   entrypoint.sh -t                  render, then test the configuration (nginx -t)
#
# Environment (defaults in brackets):
#   APPCORE_NGINX_UPSTREAM     host:port of the api; the host is re-resolved every second  [api:8000]
#   APPCORE_NGINX_RESOLVER     DNS server for that name  [the first nameserver in /etc/resolv.conf:
#                              127.0.0.11 with Docker, the network gateway with Podman]
#   APPCORE_NGINX_RATE_PER_IP  requests per second per client address  [1000]
#   APPCORE_NGINX_BURST_PER_IP requests above that rate answered at once before 429  [2000]
#   APPCORE_NGINX_CONN_PER_IP  requests in progress at once per client address  [256]
#   APPCORE_NGINX_CONF_DIR     where nginx.conf, appcore.conf and errors.conf are mounted
#                              [the directory of this script]
#   APPCORE_NGINX_RUN_DIR      writable directory for runtime.conf, the pid and temp files
#                              [/tmp/appcore-nginx]
# Plain POSIX sh with no other tools, so it runs on the official nginx image and on Debian's.
set -eu

conf_dir=${APPCORE_NGINX_CONF_DIR:-$(cd "$(dirname "$0")" && pwd)}
run_dir=${APPCORE_NGINX_RUN_DIR:-/tmp/appcore-nginx}
upstream=${APPCORE_NGINX_UPSTREAM:-api:8000}
resolver=${APPCORE_NGINX_RESOLVER:-}
rate=${APPCORE_NGINX_RATE_PER_IP:-1000}
burst=${APPCORE_NGINX_BURST_PER_IP:-2000}
conns=${APPCORE_NGINX_CONN_PER_IP:-256}

die() {
	echo "appcore nginx entrypoint: $*" >&2
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
case $upstream in
*[!A-Za-z0-9.:_-]* | '' | :* | *:) die "APPCORE_NGINX_UPSTREAM must be host:port, got '$upstream'" ;;
*:*) ;;
*) die "APPCORE_NGINX_UPSTREAM must be host:port, got '$upstream'" ;;
esac

if [ -z "$resolver" ]; then
	while read -r key value _; do
		if [ "$key" = nameserver ]; then
			resolver=$value
			break
		fi
	done </etc/resolv.conf
fi
[ -n "$resolver" ] || die "no nameserver in /etc/resolv.conf; set APPCORE_NGINX_RESOLVER"
case $resolver in
\[*) ;;
*:*:*) resolver="[$resolver]" ;; # an IPv6 address (host:port stays as it is)
esac

mkdir -p "$run_dir"
for f in nginx.conf appcore.conf errors.conf; do
	[ -r "$conf_dir/$f" ] || die "missing $conf_dir/$f"
	ln -sf "$conf_dir/$f" "$run_dir/$f"
done
cat >"$run_dir/runtime.conf.new" <<CONF
# rendered by entrypoint.sh at $(date -u +%Y-%m-%dT%H:%M:%SZ); do not edit
resolver $resolver valid=1s ipv6=off;
resolver_timeout 2s;
map "" \$appcore_upstream {
	default "$upstream";
}
limit_req_zone \$binary_remote_addr zone=appcore_req_per_ip:10m rate=${rate}r/s;
limit_conn_zone \$binary_remote_addr zone=appcore_conn_per_ip:10m;
limit_req zone=appcore_req_per_ip burst=$burst nodelay;
limit_conn appcore_conn_per_ip $conns;
CONF
mv "$run_dir/runtime.conf.new" "$run_dir/runtime.conf"

[ $# -gt 0 ] || set -- -g 'daemon off;'
exec nginx -p "$run_dir/" -c "$run_dir/nginx.conf" -e stderr "$@"
