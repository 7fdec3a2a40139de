# shellcheck shell=bash
# Shared helpers for tests/container/*.sh. Sourced; expects `set -euo pipefail` in the caller.
#
# Environment:
#   APPCORE_TEST_IMAGE   image under test (default appcore:ci-test; built here when missing)
#   CONTAINER_STANDIN    path of a `standin` tool that builds nginx/prometheus/alertmanager stand-ins from
#                        Debian packages (set by .ci/run); without it the official images are used.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IMAGE=${APPCORE_TEST_IMAGE:-appcore:ci-test}
TEST_NAME=$(basename "$0" .sh)
CHECKS_RUN=0

log() { printf '[%s] %s\n' "$TEST_NAME" "$*"; }
pass() {
	CHECKS_RUN=$((CHECKS_RUN + 1))
	printf '[%s] ok: %s\n' "$TEST_NAME" "$*"
}
fail() {
	printf '[%s] FAIL: %s\n' "$TEST_NAME" "$*" >&2
	exit 1
}

# Cleanup actions run in reverse order on any exit, including failures and ^C.
CLEANUPS=()
on_exit() { CLEANUPS+=("$*"); }
run_cleanups() {
	local rc=$? i
	trap - EXIT INT TERM
	for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUPS[$i]}" >/dev/null 2>&1 || true
	done
	if ((rc == 0)); then
		log "PASS ($CHECKS_RUN checks)"
	else
		log "FAILED (exit $rc)"
	fi
	exit "$rc"
}
trap run_cleanups EXIT
trap 'exit 130' INT TERM

# wait_until SECONDS DESCRIPTION COMMAND...: poll COMMAND until it succeeds or time runs out.
wait_until() {
	local limit=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + limit))
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || fail "timed out after ${limit}s waiting for: $what"
		sleep 0.5
	done
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# http METHOD URL [curl args...]: prints "STATUS BODY" (body on one line)
http() {
	local method=$1 url=$2
	shift 2
	curl -sS -o /tmp/appcore-ct-body.$$ -w '%{http_code}' -X "$method" "$@" "$url" || true
	printf ' '
	tr -d '\n' </tmp/appcore-ct-body.$$ 2>/dev/null || true
	rm -f /tmp/appcore-ct-body.$$
}

expect_http() { # expect_http DESCRIPTION EXPECTED_STATUS EXPECTED_BODY_REGEX METHOD URL [curl args]
	local what=$1 status=$2 body_re=$3 got
	shift 3
	got=$(http "$@")
	[[ ${got%% *} == "$status" ]] || fail "$what: expected HTTP $status, got '$got'"
	[[ ${got#* } =~ $body_re ]] || fail "$what: body '${got#* }' does not match /$body_re/"
	pass "$what -> ${got:0:120}"
}

ensure_image() {
	if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
		log "building $IMAGE"
		docker build -q --build-arg VERSION="$(cat "$ROOT/VERSION")" -t "$IMAGE" "$ROOT" >/dev/null
	fi
}

ensure_standins() {
	[[ -n ${CONTAINER_STANDIN:-} ]] || return 0
	"$CONTAINER_STANDIN" nginx:1.22 --apt nginx-light --entrypoint /usr/sbin/nginx \
		--cmd '["-g","daemon off;"]'
	"$CONTAINER_STANDIN" prom/prometheus:v2.42.0 --apt prometheus --entrypoint /usr/bin/prometheus \
		--cmd '["--config.file=/etc/prometheus/prometheus.yml","--storage.tsdb.path=/prometheus"]'
	"$CONTAINER_STANDIN" prom/alertmanager:v0.25.0 --apt prometheus-alertmanager \
		--entrypoint /usr/bin/prometheus-alertmanager \
		--cmd '["--config.file=/etc/alertmanager/alertmanager.yml","--storage.path=/alertmanager"]'
}

# shellcheck disable=SC2034 # used by the sourcing tests
PREDICT_BODY='{"instances":[[5.1,3.5,1.4,0.2]]}'
# an iris answer: three probabilities and the model block
# shellcheck disable=SC2034
PREDICT_RE='^\{"predictions":\[\[[0-9.eE-]+,[0-9.eE-]+,[0-9.eE-]+\]\],"model":\{"name":"iris","version":"1"\}\}$'
