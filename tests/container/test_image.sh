#!/usr/bin/env bash
# The image on its own: size, labels, non-root, read-only root filesystem with all capabilities
# dropped, /health, /ready and /predict from the host through the published port, the Docker
# health status, /metrics against the documented metric list, and a graceful docker stop.
set -euo pipefail
# shellcheck source=tests/container/lib.sh
source "$(dirname "$0")/lib.sh"
ensure_image

max_bytes=$((25 * 1000 * 1000))
size=$(docker image inspect --format '{{.Size}}' "$IMAGE")
((size < max_bytes)) || fail "image is $size bytes, limit $max_bytes"
pass "image size $size bytes (< 25 MB)"

labels=$(docker image inspect --format '{{json .Config.Labels}}' "$IMAGE")
for key in version source revision licenses; do
	[[ $labels == *"\"org.opencontainers.image.$key\""* ]] || fail "missing OCI label $key: $labels"
done
[[ $(docker image inspect --format '{{index .Config.Labels "org.opencontainers.image.version"}}' "$IMAGE") == "$(cat "$ROOT/VERSION")" ]] ||
	fail "org.opencontainers.image.version is not $(cat "$ROOT/VERSION"): $labels"
[[ $(docker image inspect --format '{{.Config.User}}' "$IMAGE") == 10001:10001 ]] || fail "image user is not 10001:10001"
[[ $(docker image inspect --format '{{json .Config.ExposedPorts}}' "$IMAGE") == *'"8000/tcp"'* ]] || fail "8000 not exposed"
pass "OCI labels (version $(cat "$ROOT/VERSION")), USER 10001:10001, EXPOSE 8000"

port=$(free_port)
name=appcore-image-test-$$
on_exit docker rm -f "$name"
# shellcheck disable=SC2046
docker run -d --name "$name" --read-only --cap-drop ALL --security-opt no-new-privileges:true \
	--stop-timeout 10 -p "127.0.0.1:$port:8000" "$IMAGE" >/dev/null
base=http://127.0.0.1:$port

# read from the container: Podman's compat image inspect leaves the health check out
[[ $(docker inspect --format '{{json .Config.Healthcheck.Test}}' "$name") == \
	'["CMD","/usr/local/bin/appcore-cli","health","--timeout-ms","2000","http://127.0.0.1:8000/health"]' ]] ||
	fail "unexpected HEALTHCHECK: $(docker inspect --format '{{json .Config.Healthcheck}}' "$name")"
pass "exec-form HEALTHCHECK with appcore-cli health (no curl in the image)"
wait_until 30 "/health through the published port" curl -fsS "$base/health"
expect_http "GET /health from the host" 200 '^\{"status":"ok"\}$' GET "$base/health"

# No shell or id(1) in a scratch image: read the server's credentials, capabilities and root
# mount from the kernel (the engines disagree on how `docker inspect` spells --cap-drop ALL).
pid=$(docker inspect --format '{{.State.Pid}}' "$name")
[[ $(docker inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$name") == true ]] || fail "ReadonlyRootfs is not set"
root_opts=$(awk '$5 == "/" { print $6 }' "/proc/$pid/mountinfo")
[[ $root_opts == ro,* ]] || fail "root filesystem mounted '$root_opts', not read-only"
for set in CapEff CapPrm CapBnd; do
	caps=$(awk -v s="$set:" '$1 == s { print $2 }' "/proc/$pid/status")
	[[ $caps == 0000000000000000 ]] || fail "server $set is $caps, expected none"
done
pass "runs with --read-only (root mounted $root_opts) --cap-drop ALL (effective/permitted/bounding sets empty)"
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
[[ $uids == "10001 10001 10001 10001" ]] || fail "server runs with uids '$uids'"
out=$(docker exec "$name" /usr/local/bin/appcore-cli version) || fail "docker exec appcore-cli: $out"
pass "process uid 10001 (real/effective/saved/fs), not 0; docker exec works ($out)"

is_healthy() { [[ $(docker inspect --format '{{.State.Health.Status}}' "$name") == healthy ]]; }
wait_until 30 "health status healthy" is_healthy
pass "docker health status: healthy"

expect_http "GET /ready from the host" 200 '"status":"ready"' GET "$base/ready"
expect_http "POST /predict from the host" 200 "$PREDICT_RE" POST "$base/predict" \
	-H 'Content-Type: application/json' --data "$PREDICT_BODY"
expect_http "POST /predict with a bad body" 400 '"error"' POST "$base/predict" \
	-H 'Content-Type: application/json' --data '{"instances":'
curl -fsS "$base/metrics" >"/tmp/appcore-metrics.$$" || fail "GET /metrics"
on_exit rm -f "/tmp/appcore-metrics.$$"
grep -q '^appcore_predictions_total{model="iris"} 1$' "/tmp/appcore-metrics.$$" ||
	fail "appcore_predictions_total{model=\"iris\"} is not 1 after one prediction"
/usr/bin/python3 "$ROOT/tests/container/check_monitoring.py" "$ROOT" "/tmp/appcore-metrics.$$" ||
	fail "dashboard/alerts use metrics the real server does not export"
pass "/metrics exports every documented metric the dashboard and alerts use"
out=$(docker run --rm "$IMAGE" --print-config 2>&1) || fail "--print-config: $out"
[[ $out == *"/usr/share/appcore/models/iris.json"* ]] || fail "--print-config does not show the image's model path: $out"
pass "--print-config resolves the image's config and model path"

start=$(date +%s%N)
docker stop "$name" >/dev/null
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
code=$(docker inspect --format '{{.State.ExitCode}}' "$name")
((elapsed_ms < 3000)) || fail "docker stop took ${elapsed_ms} ms"
[[ $code == 0 ]] || fail "exit code after docker stop: $code; logs: $(docker logs "$name" 2>&1 | tail -5)"
logs=$(docker logs "$name" 2>&1)
grep -q '"msg":"draining","signal":"SIGTERM"' <<<"$logs" || fail "no SIGTERM shutdown line in the logs: $logs"
pass "docker stop: SIGTERM, exit code 0 after ${elapsed_ms} ms"
