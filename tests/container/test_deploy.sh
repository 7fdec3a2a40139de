#!/usr/bin/env bash
# scripts/deploy.sh against this host's engine: a first deploy, an idempotent re-run, an upgrade
# to a second good image, and a broken image that must roll back to the previous one.
set -euo pipefail
# shellcheck source=tests/container/lib.sh
source "$(dirname "$0")/lib.sh"
ensure_image

name=appcore-deploy-test-$$
port=$(free_port)
good2=appcore-deploy-test:good-$$
broken=appcore-deploy-test:broken-$$
export APPCORE_DEPLOY_NAME=$name APPCORE_DEPLOY_PORT=$port APPCORE_DEPLOY_BIND=127.0.0.1 \
	APPCORE_DEPLOY_PULL=0 APPCORE_DEPLOY_TIMEOUT=20
on_exit docker rm -f "$name" "$name-previous"
on_exit docker rmi -f "$good2" "$broken"

# Two more images from the one under test, built without a registry: a second good release
# (another label, so another image id) and a broken one whose libappcore is truncated, so the
# server cannot even start: the kind of bad build a deploy has to survive.
dir=$(mktemp -d)
on_exit rm -rf "$dir"
printf 'FROM %s\nLABEL appcore.test.release=2\n' "$IMAGE" >"$dir/Dockerfile.good"
docker build -q -t "$good2" -f "$dir/Dockerfile.good" "$dir" >/dev/null
: >"$dir/empty.so"
id=$(docker create "$IMAGE")
lib=$(docker export "$id" | tar -t | grep 'libappcore\.so\.0\.[0-9]' || true)
docker rm "$id" >/dev/null
[[ -n $lib ]] || fail "cannot find libappcore in $IMAGE"
printf 'FROM %s\nCOPY empty.so /%s\n' "$IMAGE" "$lib" >"$dir/Dockerfile.broken"
docker build -q -t "$broken" -f "$dir/Dockerfile.broken" "$dir" >/dev/null

# compare image ids: engines normalise names differently (Podman prefixes docker.io/library/)
serving_image() { docker inspect --format '{{.Image}}' "$name"; }
image_id() { docker image inspect --format '{{.Id}}' "$1"; }
health_on_port() { curl -fsS "http://127.0.0.1:$port/health"; }

out=$("$ROOT/scripts/deploy.sh" "$IMAGE") || fail "first deploy failed: $out"
sed 's/^/    /' <<<"$out"
[[ $(serving_image) == "$(image_id "$IMAGE")" ]] || fail "serving $(serving_image) after the first deploy"
[[ $out == *"first deploy"* && $out == *"done: $IMAGE deployed"* ]] || fail "unexpected first-deploy output"
[[ $(health_on_port) == '{"status":"ok"}' ]] || fail "no /health on :$port after the first deploy"
pass "first deploy: $IMAGE serves on 127.0.0.1:$port"

out=$("$ROOT/scripts/deploy.sh" "$IMAGE") || fail "re-deploy failed: $out"
[[ $out == *"already runs $IMAGE and is ready: nothing to do"* ]] || fail "re-deploy was not a no-op: $out"
pass "re-deploying the same image is a no-op"

out=$("$ROOT/scripts/deploy.sh" "$good2") || fail "upgrade failed: $out"
sed 's/^/    /' <<<"$out"
[[ $(serving_image) == "$(image_id "$good2")" ]] || fail "serving $(serving_image) after the upgrade"
docker inspect "$name-previous" >/dev/null 2>&1 && fail "previous container left behind after a good deploy"
[[ $(health_on_port) == '{"status":"ok"}' ]] || fail "no /health on :$port after the upgrade"
pass "upgrade: $good2 serves, the previous container is removed"

rc=0
out=$("$ROOT/scripts/deploy.sh" "$broken" 2>&1) || rc=$?
sed 's/^/    /' <<<"$out"
((rc == 1)) || fail "broken deploy exited $rc, expected 1"
[[ $out == *"roll back to "*"rolled back: '$name' serves "*"again"* ]] || fail "no rollback message"
[[ $(serving_image) == "$(image_id "$good2")" ]] || fail "serving $(serving_image) after the rollback"
[[ $(docker inspect --format '{{.State.Running}}' "$name") == true ]] || fail "rolled-back container not running"
[[ $(health_on_port) == '{"status":"ok"}' ]] || fail "no /health on :$port after the rollback"
pass "broken image: exit 1, rolled back to $good2, which serves again on :$port"

rc=0
out=$("$ROOT/scripts/deploy.sh" 2>&1) || rc=$?
((rc == 2)) || fail "deploy.sh without arguments exited $rc, expected 2"
rc=0
out=$("$ROOT/scripts/deploy.sh" appcore-without-tag 2>&1) || rc=$?
((rc == 2)) && [[ $out == *"IMAGE must carry a tag or digest"* ]] || fail "untagged image: exit $rc: $out"
pass "usage errors exit 2"
