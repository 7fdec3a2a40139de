#!/usr/bin/env bash
# scripts/deploy.sh on this host's engine, rehearsed under steady load through its proxy
# (tests/container/loadgen.py: every answer counted, nothing retried):
#   first deploy (a models directory + env file) -> same again ("nothing to do") -> changed env
#   file -> changed server arguments -> upgrade to another image -> a broken image (refused, never
#   serves) -> --rollback -> usage errors.
# Passes when every step did what it says and the load generator saw 0 non-2xx and 0 failures.
set -euo pipefail
# shellcheck source=tests/container/lib.sh
source "$(dirname "$0")/lib.sh"
ensure_image
ensure_standins

name=appcore-deploy-test-$$
port=$(free_port)
good2=appcore-deploy-test:good-$$
broken=appcore-deploy-test:broken-$$
export APPCORE_DEPLOY_NAME=$name APPCORE_DEPLOY_PORT=$port APPCORE_DEPLOY_BIND=127.0.0.1 \
	APPCORE_DEPLOY_PULL=0 APPCORE_DEPLOY_TIMEOUT=20
deploy() { "$ROOT/scripts/deploy.sh" "$@"; }
remove_all() {
	docker ps -aq --filter "label=appcore.deploy=$name" | xargs -r docker rm -f
	docker rm -f "$name-proxy"
	docker network rm "$name-net"
	docker volume rm "$name-proxy-state"
}
on_exit remove_all
on_exit docker rmi -f "$good2" "$broken"
work=$(mktemp -d)
on_exit rm -rf "$work"

# Two more images from the one under test, built without a registry: a second good release
# (another label, so another image id) and a broken one whose libappcore is truncated, so the
# server cannot even start: the kind of bad build a deploy has to survive.
printf 'FROM %s\nLABEL appcore.test.release=2\n' "$IMAGE" >"$work/Dockerfile.good"
docker build -q -t "$good2" -f "$work/Dockerfile.good" "$work" >/dev/null
: >"$work/empty.so"
id=$(docker create "$IMAGE")
lib=$(docker export "$id" | tar -t | grep -E 'libappcore\.so\.[0-9]+\.[0-9]+\.[0-9]+$' || true)
docker rm "$id" >/dev/null
[[ -n $lib ]] || fail "cannot find libappcore in $IMAGE"
printf 'FROM %s\nCOPY empty.so /%s\n' "$IMAGE" "$lib" >"$work/Dockerfile.broken"
docker build -q -t "$broken" -f "$work/Dockerfile.broken" "$work" >/dev/null

# The operator's own model in a directory of theirs, chosen in an env file.
mkdir "$work/models"
cp "$ROOT/examples/models/iris.json" "$work/models/flowers.json"
chmod -R a+rX "$work"
printf 'APPCORE_MODEL_PATH=/usr/share/appcore/models/flowers.json\nAPPCORE_MODEL_NAME=flowers\n' >"$work/app.env"
export APPCORE_DEPLOY_MODELS_DIR=$work/models APPCORE_DEPLOY_ENV_FILE=$work/app.env
# the proxy's keep-alive pool sized for the smallest server.threads deployed below (--threads 32)
export APPCORE_NGINX_API_THREADS=32

base=http://127.0.0.1:$port
live() { docker ps --filter "label=appcore.deploy=$name" --format '{{.Names}}'; }
serving_image() { docker inspect --format '{{.Image}}' "$(live)"; }
image_id() { docker image inspect --format '{{.Id}}' "$1"; }
show() { sed 's/^/    /' <<<"$1"; }

out=$(deploy "$IMAGE" 2>&1) || fail "first deploy failed: $out"
show "$out"
[[ $out == *"start the proxy"* && $out == *"done: $IMAGE serves on 127.0.0.1:$port"* ]] || fail "unexpected first-deploy output"
expect_http "first deploy: /ready through the proxy names the model from the env file" 200 \
	'"model":\{"name":"flowers","version":"1"\}' GET "$base/ready"
expect_http "first deploy: nginx's JSON errors in front" 404 '^\{"error":\{"code":"not_found",' GET "$base/metrics"

rate=${APPCORE_REHEARSAL_RATE:-200}
log "load: POST /predict through the proxy at $rate requests/s over 8 keep-alive connections"
python3 "$ROOT/tests/container/loadgen.py" "$base/predict" --rate "$rate" --connections 8 \
	--stop-file "$work/stop" --max-seconds 1200 >"$work/load.json" &
loadgen=$!
on_exit "touch '$work/stop'; wait $loadgen"
load_flowing() { docker logs "$name-proxy" 2>/dev/null | grep '"uri":"/predict","status":200' >/dev/null; }
wait_until 20 "load flowing through the proxy" load_flowing

out=$(deploy "$IMAGE" 2>&1) || fail "re-deploy failed: $out"
[[ $out == *"already runs $IMAGE with these arguments, env file, config and models, and is ready: nothing to do"* ]] ||
	fail "re-deploy was not a no-op: $out"
pass "re-deploying the same image, arguments, env file and models is a no-op"

echo 'APPCORE_MODEL_VERSION=2' >>"$work/app.env"
out=$(deploy "$IMAGE" 2>&1) || fail "deploy after an env file change failed: $out"
show "$out"
[[ $out != *"nothing to do"* ]] || fail "a changed env file was not noticed"
expect_http "changed env file deployed (model version 2)" 200 '"model":\{"name":"flowers","version":"2"\}' GET "$base/ready"

out=$(deploy "$IMAGE" -- --threads 32 2>&1) || fail "deploy with new server arguments failed: $out"
[[ $out == *"with arguments: --threads 32"* && $out != *"nothing to do"* ]] || fail "changed arguments not deployed: $out"
cfg=$(docker exec "$(live)" /usr/local/bin/appcore-server --threads 32 --print-config)
pass "changed server arguments are a deploy (live container runs: $(docker inspect --format '{{json .Args}}' "$(live)"))"
[[ $cfg == *"threads: 32"* ]] || fail "threads not 32"

out=$(deploy "$good2" -- --threads 32 2>&1) || fail "upgrade failed: $out"
show "$out"
[[ $(serving_image) == "$(image_id "$good2")" ]] || fail "serving $(serving_image) after the upgrade"
(($(live | wc -l) == 1)) || fail "more than one container left after the upgrade: $(live)"
pass "upgrade: $good2 serves, the previous container is drained and removed"

rc=0
out=$(deploy "$broken" 2>&1) || rc=$?
show "$out"
((rc == 1)) || fail "broken deploy exited $rc, expected 1"
[[ $out == *"still serves, it never stopped"* ]] || fail "no 'still serves' message: $out"
[[ $(serving_image) == "$(image_id "$good2")" ]] || fail "serving $(serving_image) after the broken deploy"
last=$(tail -1 <<<"$out")
[[ $last == "[deploy] error: deploy of $broken failed: the new container exited ("*") still serves, it never stopped" ]] ||
	fail "error message not clean: '$last'"
pass "broken image: exit 1, never took traffic, $good2 kept serving; one clean error line"

out=$(deploy --rollback 2>&1) || fail "rollback failed: $out"
show "$out"
[[ $(serving_image) == "$(image_id "$IMAGE")" ]] || fail "serving $(serving_image) after --rollback"
cfg=$(docker inspect --format '{{json .Args}}' "$(live)")
[[ $cfg == '["--threads","32"]' ]] || fail "--rollback did not keep the server arguments: $cfg"
pass "--rollback: back to $IMAGE with the same server arguments"

touch "$work/stop"
wait "$loadgen" || true
summary=$(cat "$work/load.json")
log "load generator: $summary"
read -r sent answered non2xx failed seconds < <(jq -r '"\(.sent) \(.answered) \(.non_2xx) \(.failed) \(.seconds)"' <<<"$summary")
# the load must have run through every step, not stopped at its own time limit
[[ ${seconds%.*} -lt 1199 ]] || fail "the load generator hit its 1200 s limit before the rehearsal ended"
((sent > 1000)) || fail "only $sent requests sent"
((non2xx == 0 && failed == 0 && answered == sent)) || fail "requests lost during the deploys: $summary"
pass "4 deploys, a broken image and a rollback under load: $sent requests, $answered answered 2xx, 0 non-2xx, 0 failed"

for args in "" "appcore-without-tag" "$IMAGE extra"; do
	rc=0
	# shellcheck disable=SC2086
	out=$(deploy $args 2>&1) || rc=$?
	((rc == 2)) || fail "deploy.sh $args exited $rc, expected 2: $out"
	last=$(tail -1 <<<"$out")
	[[ $last =~ ^\[deploy\]\ error:\ [^0-9].*[a-z\)\']$ ]] || fail "usage error message not clean: '$last'"
done
pass "usage errors exit 2 with one clean error line"
