/* appcore-cli predict --prediction-log: the rows the CLI scores recorded in the PostgreSQL
 * prediction log (appcore/predlog.h), configured by the prediction_log section as the server's
 * log is. */
#ifndef APPCORE_CLI_PREDICT_LOG_H
#define APPCORE_CLI_PREDICT_LOG_H

#include <stddef.h>

#include <appcore.h>

#include "model_arg.h"

struct cli_predlog {
	appcore_predlog *log; /* NULL: the log is off */
	const appcore_model *model;
	appcore_output_kind kind;
	unsigned int flush_ms;
	char run_id[40]; /* "cli-" and 32 hex digits: one per run */
	char request_id[64];
	long long last_ns; /* CLOCK_MONOTONIC when the previous batch was recorded */
};

/* Open the log when prediction_log.enabled is on in the configuration (flags included).
 * Prints the problem as "appcore-cli predict: ..." and returns the exit code on failure. */
int cli_predlog_open(struct cli_predlog *pl, const char *config_path, const struct cli_flag *flags,
		     const appcore_model *model, appcore_output_kind kind);

/* appcore_rows_batch_fn for the CSV/NDJSON scorer: one log request per batch, its request id
 * "<run id>/<first row>". */
int cli_predlog_batch(void *ctx, size_t first_row, const float *inputs, size_t num_rows,
		      const float *outputs, appcore_error *err);

/* Record a JSON request's answer (kept rows of appcore_predict_json()). */
int cli_predlog_response(struct cli_predlog *pl, const appcore_response *response,
			 appcore_error *err);

/* Wait up to prediction_log.shutdown_timeout_ms for the rows to reach PostgreSQL, say on
 * stderr when some are left in the spool for the next run, and close. */
void cli_predlog_close(struct cli_predlog *pl);

#endif
