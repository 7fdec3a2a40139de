/* libpq, asynchronously, with deadlines (see pg.h). */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "predlog/dynlib.h"
#include "predlog/pg.h"
#include "predlog/schema.h"

/* Longest a poll sleeps before checking the abort deadline again. */
#define POLL_SLICE_MS 50
/* COPY data is handed to libpq in pieces of this size. */
#define COPY_CHUNK ((size_t)64 << 10)

struct pl_pg {
	PGconn *conn;
};

static int64_t now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void set_error(char *errbuf, size_t errsize, const char *what, const char *detail)
{
	size_t len;

	snprintf(errbuf, errsize, "%s%s%s", what, detail && *detail ? ": " : "",
		 detail ? detail : "");
	/* libpq messages end with a newline, sometimes two lines: keep one line */
	for (len = 0; errbuf[len] != '\0'; len++)
		if (errbuf[len] == '\n')
			errbuf[len] = errbuf[len + 1] != '\0' ? ' ' : '\0';
	len = strlen(errbuf);
	while (len > 0 && errbuf[len - 1] == ' ')
		errbuf[--len] = '\0';
}

/* Wait until the socket is ready for events. 0 ready; -1 past the deadline or aborted. */
static int wait_socket(int sock, short events, int64_t deadline_ms, const atomic_llong *abort_at)
{
	for (;;) {
		int64_t limit = deadline_ms, now = now_ms(), abort_ms;
		struct pollfd pfd = { sock, events, 0 };
		int ready;

		abort_ms = abort_at ? (int64_t)atomic_load(abort_at) : 0;
		if (abort_ms != 0 && abort_ms < limit)
			limit = abort_ms;
		if (now >= limit)
			return -1;
		ready = poll(&pfd, 1, (int)(limit - now < POLL_SLICE_MS ? limit - now : POLL_SLICE_MS));
		if (ready > 0)
			return 0;
		if (ready < 0 && errno != EINTR)
			return -1;
	}
}

int pl_pg_check_conninfo(const char *conninfo, char *errbuf, size_t errsize)
{
	char *message = NULL;
	PQconninfoOption *options = pl_pq()->PQconninfoParse(conninfo, &message);

	if (options == NULL) {
		set_error(errbuf, errsize, "invalid connection string",
			  message ? message : "out of memory");
		pl_pq()->PQfreemem(message);
		return -1;
	}
	pl_pq()->PQconninfoFree(options);
	return 0;
}

static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int pl_pg_connect(struct pl_pg **out, const char *conninfo, const char *password,
		  int64_t deadline_ms, const atomic_llong *abort_at, char *errbuf, size_t errsize)
{
	/* keywords after dbname override what the expanded conninfo says: the password file
	 * wins over a password in the URL; the application name is only a fallback */
	const char *keys[] = { "dbname", "fallback_application_name", password ? "password" : NULL,
			       NULL };
	const char *values[] = { conninfo, "appcore", password, NULL };
	PostgresPollingStatusType status = PGRES_POLLING_WRITING;
	struct pl_pg *pg;
	PGconn *conn;

	*out = NULL;
	conn = pl_pq()->PQconnectStartParams(keys, values, 1);
	if (conn == NULL) {
		set_error(errbuf, errsize, "cannot connect", "out of memory");
		return PL_PG_DOWN;
	}
	if (pl_pq()->PQstatus(conn) == CONNECTION_BAD)
		status = PGRES_POLLING_FAILED;
	while (status != PGRES_POLLING_OK) {
		if (status == PGRES_POLLING_FAILED) {
			set_error(errbuf, errsize, "cannot connect", pl_pq()->PQerrorMessage(conn));
			pl_pq()->PQfinish(conn);
			return PL_PG_DOWN;
		}
		if (wait_socket(pl_pq()->PQsocket(conn),
				status == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline_ms,
				abort_at) != 0) {
			set_error(errbuf, errsize, "cannot connect", "timed out");
			pl_pq()->PQfinish(conn);
			return PL_PG_DOWN;
		}
		status = pl_pq()->PQconnectPoll(conn);
	}
	if (pl_pq()->PQsetnonblocking(conn, 1) != 0 || (pg = calloc(1, sizeof(*pg))) == NULL) {
		set_error(errbuf, errsize, "cannot connect", pl_pq()->PQerrorMessage(conn));
		pl_pq()->PQfinish(conn);
		return PL_PG_DOWN;
	}
	/* NOTICEs ("already exists, skipping") would go to stderr: the log says what matters */
	pl_pq()->PQsetNoticeProcessor(conn, ignore_notice, NULL);
	pg->conn = conn;
	*out = pg;
	return PL_PG_OK;
}

void pl_pg_close(struct pl_pg *pg)
{
	if (pg == NULL)
		return;
	pl_pq()->PQfinish(pg->conn);
	free(pg);
}

int pl_pg_alive(struct pl_pg *pg)
{
	struct pollfd pfd = { pl_pq()->PQsocket(pg->conn), POLLIN, 0 };

	if (pl_pq()->PQstatus(pg->conn) != CONNECTION_OK)
		return 0;
	if (poll(&pfd, 1, 0) > 0 && !pl_pq()->PQconsumeInput(pg->conn))
		return 0;
	return pl_pq()->PQstatus(pg->conn) == CONNECTION_OK;
}

/* Send what libpq has buffered. */
static int flush_out(struct pl_pg *pg, int64_t deadline, const atomic_llong *abort_at)
{
	int rc;

	while ((rc = pl_pq()->PQflush(pg->conn)) == 1) {
		if (wait_socket(pl_pq()->PQsocket(pg->conn), POLLIN | POLLOUT, deadline,
				abort_at) != 0)
			return -1;
		if (!pl_pq()->PQconsumeInput(pg->conn))
			return -1;
	}
	return rc == 0 ? 0 : -1;
}

/* The next result, waiting for it within the deadline. *res is NULL at the end of a
 * command's results. -1 on timeout or a broken connection. */
static int next_result(struct pl_pg *pg, PGresult **res, int64_t deadline,
		       const atomic_llong *abort_at)
{
	while (pl_pq()->PQisBusy(pg->conn)) {
		if (wait_socket(pl_pq()->PQsocket(pg->conn), POLLIN, deadline, abort_at) != 0 ||
		    !pl_pq()->PQconsumeInput(pg->conn))
			return -1;
	}
	*res = pl_pq()->PQgetResult(pg->conn);
	return 0;
}

/* Why a statement failed: data errors (SQLSTATE classes 22, 23) will fail again on retry;
 * anything else (a dropped table, a restarting server, a timeout) may not. */
static int classify(const PGresult *res)
{
	const char *state = res ? pl_pq()->PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (state != NULL && strcmp(state, "23505") == 0)
		return PL_PG_DUPLICATE;
	if (state != NULL && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0))
		return PL_PG_REJECTED;
	return PL_PG_DOWN;
}

struct run_out {
	unsigned long long tuples; /* cmdTuples of the first command that reports some */
	bool has_tuples;
	long long scalar; /* first column of the first row of the first query */
	bool has_scalar;
};

/* Run one or more statements (simple query protocol) and collect every result. */
static int run(struct pl_pg *pg, const char *sql, struct run_out *out, int64_t deadline,
	       const atomic_llong *abort_at, char *errbuf, size_t errsize)
{
	int rc = PL_PG_OK;
	PGresult *res;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (!pl_pq()->PQsendQuery(pg->conn, sql) || flush_out(pg, deadline, abort_at) != 0) {
		set_error(errbuf, errsize, "database connection lost",
			  pl_pq()->PQerrorMessage(pg->conn));
		return PL_PG_DOWN;
	}
	for (;;) {
		if (next_result(pg, &res, deadline, abort_at) != 0) {
			set_error(errbuf, errsize, "database did not answer in time",
				  pl_pq()->PQstatus(pg->conn) == CONNECTION_BAD
				      ? pl_pq()->PQerrorMessage(pg->conn)
				      : NULL);
			return PL_PG_DOWN;
		}
		if (res == NULL)
			break;
		switch (pl_pq()->PQresultStatus(res)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
			if (out != NULL && !out->has_tuples &&
			    pl_pq()->PQcmdTuples(res)[0] != '\0') {
				out->tuples = strtoull(pl_pq()->PQcmdTuples(res), NULL, 10);
				out->has_tuples = true;
			}
			if (out != NULL && !out->has_scalar && pl_pq()->PQntuples(res) > 0 &&
			    pl_pq()->PQnfields(res) > 0 && !pl_pq()->PQgetisnull(res, 0, 0)) {
				out->scalar = strtoll(pl_pq()->PQgetvalue(res, 0, 0), NULL, 10);
				out->has_scalar = true;
			}
			break;
		default:
			if (rc == PL_PG_OK) {
				rc = classify(res);
				set_error(errbuf, errsize, "database error",
					  pl_pq()->PQresultErrorMessage(res));
			}
			break;
		}
		pl_pq()->PQclear(res);
	}
	if (pl_pq()->PQstatus(pg->conn) != CONNECTION_OK) {
		if (rc == PL_PG_OK)
			set_error(errbuf, errsize, "database connection lost",
				  pl_pq()->PQerrorMessage(pg->conn));
		return PL_PG_DOWN;
	}
	return rc;
}

/* Leave a failed transaction so the connection can be reused. */
static void rollback(struct pl_pg *pg, int64_t deadline, const atomic_llong *abort_at)
{
	char ignored[64];

	run(pg, "ROLLBACK", NULL, deadline, abort_at, ignored, sizeof(ignored));
}

int pl_pg_prepare(struct pl_pg *pg, int *version, int64_t deadline,
		  const atomic_llong *abort_at, char *errbuf, size_t errsize)
{
	struct run_out out;
	int rc;

	*version = 0;
	rc = run(pg,
		 "BEGIN; SELECT pg_advisory_xact_lock(" PL_MIGRATION_LOCK ");\n"
		 "CREATE TABLE IF NOT EXISTS appcore_schema_migrations (\n"
		 "  version     integer     PRIMARY KEY,\n"
		 "  description text        NOT NULL,\n"
		 "  applied_at  timestamptz NOT NULL DEFAULT now()\n"
		 ")",
		 NULL, deadline, abort_at, errbuf, errsize);
	if (rc == PL_PG_OK)
		rc = run(pg, "SELECT coalesce(max(version), 0) FROM appcore_schema_migrations", &out,
			 deadline, abort_at, errbuf, errsize);
	if (rc == PL_PG_OK)
		*version = (int)out.scalar;
	for (size_t i = 0; rc == PL_PG_OK && i < pl_num_migrations; i++) {
		const struct pl_migration *m = &pl_migrations[i];
		char *description;
		char *sql;
		size_t size;

		if (m->version <= *version)
			continue;
		description =
		    pl_pq()->PQescapeLiteral(pg->conn, m->description, strlen(m->description));
		size = strlen(m->sql) + (description ? strlen(description) : 0) + 128;
		sql = malloc(size);
		if (description == NULL || sql == NULL) {
			pl_pq()->PQfreemem(description);
			free(sql);
			set_error(errbuf, errsize, "schema migration", "out of memory");
			rc = PL_PG_DOWN;
			break;
		}
		snprintf(sql, size,
			 "%s;\nINSERT INTO appcore_schema_migrations (version, description) "
			 "VALUES (%d, %s)",
			 m->sql, m->version, description);
		pl_pq()->PQfreemem(description);
		rc = run(pg, sql, NULL, deadline, abort_at, errbuf, errsize);
		free(sql);
		if (rc == PL_PG_OK)
			*version = m->version;
	}
	if (rc == PL_PG_OK)
		rc = run(pg, "COMMIT", NULL, deadline, abort_at, errbuf, errsize);
	else if (pl_pq()->PQstatus(pg->conn) == CONNECTION_OK)
		rollback(pg, deadline, abort_at);
	if (rc == PL_PG_OK)
		rc = run(pg,
			 "CREATE TEMPORARY TABLE IF NOT EXISTS appcore_predictions_in "
			 "(LIKE appcore_predictions INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
			 NULL, deadline, abort_at, errbuf, errsize);
	/* a schema the sender cannot write to is not something a retry on the same
	 * connection fixes: report it as the database being unusable */
	return rc == PL_PG_OK ? PL_PG_OK : PL_PG_DOWN;
}

/* COPY the batch into a table (inside the caller's transaction); *copied receives the rows. */
static int copy_in(struct pl_pg *pg, const char *table, const char *data, size_t len,
		   unsigned long long *copied, int64_t deadline, const atomic_llong *abort_at,
		   char *errbuf, size_t errsize)
{
	char command[256];
	PGresult *res;
	int rc = PL_PG_OK, sent;

	snprintf(command, sizeof(command), "COPY %s (" PL_COPY_COLUMNS ") FROM STDIN", table);
	*copied = 0;
	if (!pl_pq()->PQsendQuery(pg->conn, command) || flush_out(pg, deadline, abort_at) != 0 ||
	    next_result(pg, &res, deadline, abort_at) != 0) {
		set_error(errbuf, errsize, "database connection lost",
			  pl_pq()->PQerrorMessage(pg->conn));
		return PL_PG_DOWN;
	}
	if (res == NULL || pl_pq()->PQresultStatus(res) != PGRES_COPY_IN) {
		set_error(errbuf, errsize, "COPY failed",
			  res ? pl_pq()->PQresultErrorMessage(res)
			      : pl_pq()->PQerrorMessage(pg->conn));
		rc = res ? classify(res) : PL_PG_DOWN;
		pl_pq()->PQclear(res);
		while (next_result(pg, &res, deadline, abort_at) == 0 && res != NULL)
			pl_pq()->PQclear(res);
		return rc;
	}
	pl_pq()->PQclear(res);
	for (size_t done = 0; done < len;) {
		size_t piece = len - done < COPY_CHUNK ? len - done : COPY_CHUNK;

		sent = pl_pq()->PQputCopyData(pg->conn, data + done, (int)piece);
		if (sent == 1) {
			done += piece;
			continue;
		}
		if (sent < 0 ||
		    wait_socket(pl_pq()->PQsocket(pg->conn), POLLIN | POLLOUT, deadline,
				abort_at) != 0 ||
		    !pl_pq()->PQconsumeInput(pg->conn)) {
			set_error(errbuf, errsize, "database connection lost during COPY",
				  pl_pq()->PQerrorMessage(pg->conn));
			return PL_PG_DOWN;
		}
	}
	while ((sent = pl_pq()->PQputCopyEnd(pg->conn, NULL)) == 0) {
		if (wait_socket(pl_pq()->PQsocket(pg->conn), POLLOUT, deadline, abort_at) != 0) {
			set_error(errbuf, errsize, "database did not answer in time", NULL);
			return PL_PG_DOWN;
		}
	}
	if (sent < 0 || flush_out(pg, deadline, abort_at) != 0) {
		set_error(errbuf, errsize, "database connection lost during COPY",
			  pl_pq()->PQerrorMessage(pg->conn));
		return PL_PG_DOWN;
	}
	for (;;) {
		if (next_result(pg, &res, deadline, abort_at) != 0) {
			set_error(errbuf, errsize, "database did not answer in time", NULL);
			return PL_PG_DOWN;
		}
		if (res == NULL)
			break;
		if (pl_pq()->PQresultStatus(res) != PGRES_COMMAND_OK && rc == PL_PG_OK) {
			rc = classify(res);
			set_error(errbuf, errsize, "COPY failed",
				  pl_pq()->PQresultErrorMessage(res));
		} else if (pl_pq()->PQresultStatus(res) == PGRES_COMMAND_OK) {
			*copied = strtoull(pl_pq()->PQcmdTuples(res), NULL, 10);
		}
		pl_pq()->PQclear(res);
	}
	return rc;
}

/* A batch in one transaction. The common case, rows never sent before, is one COPY straight
 * into the table. Only when that meets a row already there (a batch resent after a crash or a
 * lost COMMIT acknowledgement: unique_violation) is it rolled back and sent through the staging
 * table with ON CONFLICT DO NOTHING, which skips exactly the rows already present. */
int pl_pg_write_batch(struct pl_pg *pg, const char *copy, size_t len, unsigned long long *inserted,
		      int64_t deadline, const atomic_llong *abort_at, char *errbuf, size_t errsize)
{
	unsigned long long copied = 0;
	struct run_out out;
	int rc;

	*inserted = 0;
	rc = run(pg, "BEGIN", NULL, deadline, abort_at, errbuf, errsize);
	if (rc == PL_PG_OK)
		rc = copy_in(pg, "appcore_predictions", copy, len, &copied, deadline, abort_at,
			     errbuf, errsize);
	if (rc == PL_PG_OK) {
		rc = run(pg, "COMMIT", NULL, deadline, abort_at, errbuf, errsize);
		if (rc == PL_PG_OK) {
			*inserted = copied;
			return PL_PG_OK;
		}
		if (rc != PL_PG_DUPLICATE)
			return PL_PG_DOWN; /* the outcome is unknown: resend */
	}
	if (rc != PL_PG_DUPLICATE) {
		if (rc == PL_PG_REJECTED && pl_pq()->PQstatus(pg->conn) == CONNECTION_OK)
			rollback(pg, deadline, abort_at);
		return rc;
	}
	rollback(pg, deadline, abort_at);
	rc = run(pg, "BEGIN", NULL, deadline, abort_at, errbuf, errsize);
	if (rc == PL_PG_OK)
		rc = copy_in(pg, "appcore_predictions_in", copy, len, &copied, deadline, abort_at,
			     errbuf, errsize);
	if (rc == PL_PG_OK)
		rc = run(pg,
			 "INSERT INTO appcore_predictions (" PL_COPY_COLUMNS ") SELECT " PL_COPY_COLUMNS
			 " FROM appcore_predictions_in ON CONFLICT DO NOTHING; COMMIT",
			 &out, deadline, abort_at, errbuf, errsize);
	if (rc == PL_PG_OK) {
		*inserted = out.tuples;
		return PL_PG_OK;
	}
	if (rc != PL_PG_DOWN && pl_pq()->PQstatus(pg->conn) == CONNECTION_OK)
		rollback(pg, deadline, abort_at);
	return rc == PL_PG_DUPLICATE ? PL_PG_REJECTED : rc;
}
