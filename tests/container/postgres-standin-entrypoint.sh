#!/bin/sh
# Entrypoint of the postgres:15 stand-in (tests/container/test_predlog.sh builds it from Debian's
# postgresql package where no registry is reachable). Does what the official image's
# docker-entrypoint.sh does for our compose file: on an empty data directory, initdb with
# POSTGRES_USER and the password from POSTGRES_PASSWORD_FILE (scram-sha-256 over TCP), create
# POSTGRES_DB; then run postgres as the postgres user, listening on every address.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
for bin in /usr/lib/postgresql/*/bin; do :; done # the newest (the glob sorts)
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	user=${POSTGRES_USER:-postgres}
	pwfile=$(mktemp)
	if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
		cat "$POSTGRES_PASSWORD_FILE" >"$pwfile"
	else
		printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE is required}" >"$pwfile"
	fi
	"$bin/initdb" -D "$PGDATA" --username="$user" --pwfile="$pwfile" --auth-local=trust \
		--auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
	rm -f "$pwfile"
	echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
	if [ -n "${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
		"$bin/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
		"$bin/psql" -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres \
			-c "CREATE DATABASE \"$POSTGRES_DB\"" >/dev/null
		"$bin/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
	fi
	echo "postgres stand-in: initialised $PGDATA for user $user"
fi
if [ "${1:-}" = postgres ]; then
	shift
fi
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' "$@"
