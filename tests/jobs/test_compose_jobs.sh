#!/usr/bin/env bash
# Batch jobs in the compose stack (docker-compose.yml + compose.override.yaml for the api's
# port): redis with its append-only volume and `--scale worker=3`; jobs from submit to result
# with curl, one kept in Redis and one too big for it (the shared jobs volume), each equal to
# appcore-cli predict in the same image; the workers stop cleanly (exit 0) on SIGTERM.
# Uses tests/container/lib.sh: run it as scripts/container_tests.sh runs the container tests
# (an engine, APPCORE_TEST_IMAGE built, CONTAINER_STANDIN for a redis:7 stand-in).
set -euo pipefail
# shellcheck source=tests/container/lib.sh
source "$(dirname "$0")/../container/lib.sh"
ensure_image
if [[ -n ${CONTAINER_STANDIN:-} ]]; then
	"$CONTAINER_STANDIN" redis:7 --apt redis-server
fi

project=appcore-jobs-$$
api_port=$(free_port)
work=$(mktemp -d)
on_exit rm -rf "$work"
compose() {
	APPCORE_IMAGE=$IMAGE APPCORE_DEV_PORT=$api_port APPCORE_LOGGING_LEVEL=debug \
		docker compose --project-directory "$ROOT" -p "$project" -f "$ROOT/docker-compose.yml" \
		-f "$ROOT/compose.override.yaml" "$@"
}
on_exit compose down -v --remove-orphans --timeout 10
on_exit 'compose logs --no-color --tail 20 >&2'

log "docker compose up -d --scale worker=3 api redis worker (project $project, api on :$api_port)"
compose up -d --no-build --scale worker=3 api redis worker 2>&1 | sed 's/^/    /'
base=http://127.0.0.1:$api_port
wait_until 60 "the api ready" curl -fsS "$base/ready"
workers=$(compose ps -q worker | wc -l)
((workers == 3)) || fail "expected 3 worker containers, got $workers"
worker_started() { (($(compose logs worker 2>/dev/null | grep -c '"msg":"worker started"') >= 3)); }
wait_until 60 "three workers started" worker_started
pass "api, redis and 3 workers up"

# iris rows: 5,000 (kept in Redis) and 600,000 (9.6 MB: over jobs.inline_max_bytes, so the input
# and results go through the shared jobs volume)
python3 - "$work" <<'EOF'
import random, sys
rng = random.Random(4)
for name, count in (("small.csv", 5000), ("big.csv", 600000)):
    with open(f"{sys.argv[1]}/{name}", "w") as f:
        for _ in range(count):
            f.write("%.1f,%.1f,%.1f,%.1f\n" % (rng.uniform(4, 8), rng.uniform(2, 4.5),
                                               rng.uniform(1, 7), rng.uniform(0.1, 2.5)))
EOF

run_job() { # run_job FILE: submit, wait, fetch, compare with appcore-cli predict in the image
	local file=$1 answer id state
	answer=$(curl -sS -D "$work/headers" -X POST --data-binary "@$work/$file" \
		-H 'Content-Type: text/csv' "$base/v1/jobs?model=iris")
	grep -q '^HTTP/1.1 202' "$work/headers" || fail "submit $file: $(head -1 "$work/headers") $answer"
	id=$(jq -r .id <<<"$answer")
	grep -qi "^location: /v1/jobs/$id" "$work/headers" || fail "no Location for $id"
	job_done() {
		state=$(curl -fsS "$base/v1/jobs/$id" | jq -r .state)
		[[ $state == succeeded || $state == failed || $state == cancelled ]]
	}
	wait_until 180 "job $id ($file) finished" job_done
	state=$(curl -fsS "$base/v1/jobs/$id" | jq -r .state)
	[[ $state == succeeded ]] || fail "job $id: $(curl -fsS "$base/v1/jobs/$id")"
	curl -fsS -o "$work/$file.result" "$base/v1/jobs/$id/result"
	docker run --rm -i --entrypoint /usr/local/bin/appcore-cli "$IMAGE" predict \
		--model /usr/share/appcore/models/iris.json --input-format csv <"$work/$file" \
		>"$work/$file.cli"
	cmp -s "$work/$file.result" "$work/$file.cli" ||
		fail "job $id: the result differs from appcore-cli predict"
	pass "job $id ($file, $(wc -l <"$work/$file") rows): result = appcore-cli predict"
}
run_job small.csv
run_job big.csv

scoring=0
for container in $(compose ps -q worker); do
	if docker logs "$container" 2>&1 | grep -q '"msg":"chunk".*"event":"done"'; then
		scoring=$((scoring + 1))
	fi
done
((scoring >= 2)) || fail "only $scoring of 3 workers scored chunks"
pass "$scoring of 3 workers scored chunks"

compose stop --timeout 10 worker 2>&1 | sed 's/^/    /'
for container in $(compose ps -a -q worker); do
	code=$(docker inspect --format '{{.State.ExitCode}}' "$container")
	[[ $code == 0 ]] || fail "worker $container exited with $code on SIGTERM"
done
pass "workers exit 0 on SIGTERM"
