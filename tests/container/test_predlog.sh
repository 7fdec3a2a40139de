#!/usr/bin/env bash
# The prediction log in the production compose file: the api waits for a healthy postgres,
# logs every prediction there, keeps logging across a database restart, and the rows survive
# the database container being removed and created again (the postgres-data volume).
set -euo pipefail
# shellcheck source=tests/container/lib.sh
source "$(dirname "$0")/lib.sh"
ensure_image
ensure_standins # postgres:15 among them

project=appcore-pl-$$
http_port=$(free_port)
compose() {
	APPCORE_IMAGE=$IMAGE APPCORE_HTTP_PORT=$http_port \
		docker compose --project-directory "$ROOT" -p "$project" -f "$ROOT/docker-compose.yml" "$@"
}
on_exit compose down -v --remove-orphans --timeout 5
on_exit 'compose logs --no-color --tail 30 api postgres >&2'

log "docker compose up -d postgres api nginx (project $project)"
compose up -d --no-build postgres api nginx 2>&1 | sed 's/^/    /'
[[ $(docker inspect --format '{{.State.Health.Status}}' "$(compose ps -q postgres)") == healthy ]] ||
	fail "the api started before postgres was healthy"
pass "postgres healthy (pg_isready) before the api started (depends_on: service_healthy)"

base=http://127.0.0.1:$http_port
wait_until 60 "nginx answering" curl -fsS "$base/health"
psql() { compose exec -T postgres psql -X -At -U appcore -d appcore -c "$1"; }
logged() { psql "SELECT count(*) FROM appcore_predictions WHERE request_id LIKE '$1%'" 2>/dev/null; }
predict() { # predict ID: one two-row prediction through nginx
	expect_http "POST /predict $1" 200 '"predictions"' POST "$base/predict" \
		-H 'Content-Type: application/json' -H "X-Request-ID: $1" \
		--data '{"instances":[[5.1,3.5,1.4,0.2],[6.2,null,4.8,1.8]]}'
}
rows_are() { [[ $(logged "$1") == "$2" ]]; }

for i in 1 2 3; do predict "pl-ct-a$i"; done
wait_until 60 "6 rows logged" rows_are pl-ct-a 6
pass "3 predictions -> 6 rows in appcore_predictions"
got=$(psql "SELECT inputs, model_name FROM appcore_predictions WHERE request_id = 'pl-ct-a1' AND row_index = 1")
[[ $got == '{6.2,NULL,4.8,1.8}|iris' ]] || fail "logged row: $got"
pass "a logged row holds the inputs sent (null as NULL): $got"

log "docker compose restart postgres"
compose restart -t 10 postgres 2>&1 | sed 's/^/    /'
postgres_healthy() { [[ $(docker inspect --format '{{.State.Health.Status}}' "$(compose ps -q postgres)") == healthy ]]; }
wait_until 60 "postgres healthy again" postgres_healthy
wait_until 30 "rows still there" rows_are pl-ct-a 6
for i in 1 2; do predict "pl-ct-b$i"; done
wait_until 60 "rows after the restart logged" rows_are pl-ct-b 4
pass "after a database restart the rows are there and new ones arrive"

log "remove the postgres container and create it again (the volume stays)"
compose rm -s -f postgres 2>&1 | sed 's/^/    /'
predict "pl-ct-c1" # answered while the database is gone: kept in the api's spool
compose up -d --no-build postgres 2>&1 | sed 's/^/    /'
wait_until 60 "postgres healthy again" postgres_healthy
wait_until 60 "rows from before and during the outage" rows_are pl-ct- 12
pass "rows survive a new database container (postgres-data volume); the outage's row arrived"
