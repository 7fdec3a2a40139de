/* The table's schema as versioned migrations. Migrations are only appended: a database is
 * at version N when migrations 1..N have run, as recorded in appcore_schema_migrations. */
#ifndef APPCORE_PREDLOG_SCHEMA_H
#define APPCORE_PREDLOG_SCHEMA_H

#include <stddef.h>

struct pl_migration {
	int version;
	const char *description;
	const char *sql; /* idempotent: IF NOT EXISTS everywhere */
};

extern const struct pl_migration pl_migrations[];
extern const size_t pl_num_migrations;

/* The columns COPY writes, in the order copy.c writes them. */
#define PL_COPY_COLUMNS                                                                            \
	"record_id, row_index, request_id, model_name, model_version, received_at, inputs, "     \
	"outputs, output_kind, latency_ms, client"

/* Serialises migrations across processes (pg_advisory_xact_lock). */
#define PL_MIGRATION_LOCK "7381290417"

#endif
