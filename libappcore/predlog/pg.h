/* PostgreSQL through libpq's asynchronous API, every operation bounded by a deadline: a
 * database that is stopped (SIGSTOP) or unreachable costs the sender thread at most the
 * deadline, never a hang. The deadline is the earlier of the operation's own and
 * `*abort_at_ms` (CLOCK_MONOTONIC ms, 0 = none), which appcore_predlog_close() sets.
 *
 * libpq is loaded with dlopen() (dynlib.h) by appcore_predlog_open(), which every log passes
 * through before any function here runs. */
#ifndef APPCORE_PREDLOG_PG_H
#define APPCORE_PREDLOG_PG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct pl_pg;

/* Results: */
#define PL_PG_OK 0
#define PL_PG_DOWN (-1)     /* connection lost, refused, or too slow: reconnect and retry */
#define PL_PG_REJECTED (-2) /* the statement failed on the data: retrying will not help */
#define PL_PG_DUPLICATE (-3) /* internal to pg.c: a row is already there (unique_violation) */

/* Check a conninfo string (URL or key=value) without connecting. 0, or -1 with the libpq
 * message in errbuf. */
int pl_pg_check_conninfo(const char *conninfo, char *errbuf, size_t errsize);

/* Connect (password may be NULL). Returns PL_PG_OK with *out set, or PL_PG_DOWN with the
 * reason in errbuf. */
int pl_pg_connect(struct pl_pg **out, const char *conninfo, const char *password,
		  int64_t deadline_ms, const atomic_llong *abort_at_ms, char *errbuf,
		  size_t errsize);
void pl_pg_close(struct pl_pg *pg);

/* Apply the schema migrations this library knows (schema.c) in one transaction, under an
 * advisory lock so servers starting together do not race, and prepare the session (the
 * temporary staging table). *version receives the schema version found afterwards. */
int pl_pg_prepare(struct pl_pg *pg, int *version, int64_t deadline_ms,
		  const atomic_llong *abort_at_ms, char *errbuf, size_t errsize);

/* Write a batch: `copy` holds COPY text rows for the staging table; in one transaction they
 * are copied there and inserted into appcore_predictions, skipping rows already present.
 * *inserted receives the number of new rows. */
int pl_pg_write_batch(struct pl_pg *pg, const char *copy, size_t len, unsigned long long *inserted,
		      int64_t deadline_ms, const atomic_llong *abort_at_ms, char *errbuf,
		      size_t errsize);

/* Whether an idle connection is still open (reads what the server may have said, such as
 * a shutdown notice). Never blocks. */
int pl_pg_alive(struct pl_pg *pg);

#endif
