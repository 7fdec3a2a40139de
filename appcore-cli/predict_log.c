/* The CLI's side of the prediction log: one log "request" per scored batch (or per JSON
 * request), so a row's position in the input is its request's first row plus row_index. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "predict_log.h"

static long long monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long unix_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* 128 random bits, so runs on many machines writing to one database never share an id. */
static int make_run_id(char *out, size_t size)
{
	unsigned char bytes[16];
	FILE *random = fopen("/dev/urandom", "rb");
	size_t got = random != NULL ? fread(bytes, 1, sizeof(bytes), random) : 0;

	if (random != NULL)
		fclose(random);
	if (got != sizeof(bytes))
		return -1;
	strcpy(out, "cli-");
	for (size_t i = 0; i < sizeof(bytes) && 4 + 2 * i + 2 < size; i++)
		snprintf(out + 4 + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

int cli_predlog_open(struct cli_predlog *pl, const char *config_path, const struct cli_flag *flags,
		     const appcore_model *model, appcore_output_kind kind)
{
	appcore_config *config = NULL;
	appcore_predlog_options options;
	appcore_error err;
	int enabled = 0, rc;

	memset(pl, 0, sizeof(*pl));
	pl->model = model;
	pl->kind = kind;
	if ((rc = cli_load_config(&config, "predict", config_path, flags)) != CLI_EXIT_OK)
		return rc;
	rc = CLI_EXIT_OK;
	if (appcore_config_get_bool(&enabled, config, "prediction_log.enabled", &err) != APPCORE_OK ||
	    (enabled &&
	     (appcore_predlog_options_init(&options, APPCORE_PREDLOG_OPTIONS_VERSION) != APPCORE_OK ||
	      appcore_predlog_options_from_config(&options, config, &err) != APPCORE_OK ||
	      appcore_predlog_open(&pl->log, &options, &err) != APPCORE_OK))) {
		fprintf(stderr, "appcore-cli predict: prediction log: %s\n", err.message);
		rc = CLI_EXIT_FAILURE;
	} else if (enabled) {
		pl->flush_ms = options.shutdown_timeout_ms;
		if (make_run_id(pl->run_id, sizeof(pl->run_id)) != 0) {
			fprintf(stderr, "appcore-cli predict: prediction log: /dev/urandom unreadable\n");
			rc = CLI_EXIT_FAILURE;
		}
	}
	appcore_config_free(config);
	pl->last_ns = monotonic_ns();
	return rc;
}

static int record(struct cli_predlog *pl, const char *request_id, const float *inputs,
		  size_t num_rows, const float *outputs, appcore_output_kind kind, appcore_error *err)
{
	appcore_predlog_entry entry = APPCORE_PREDLOG_ENTRY_INIT;
	long long now = monotonic_ns();

	entry.request_id = request_id;
	entry.model = pl->model;
	entry.inputs = inputs;
	entry.num_rows = num_rows;
	entry.outputs = outputs;
	entry.output_kind = kind;
	/* a batch "arrives" when the previous one was done: reading and scoring it is its
	 * latency */
	entry.received_unix_us = unix_us() - (now - pl->last_ns) / 1000;
	entry.latency_seconds = (double)(now - pl->last_ns) / 1e9;
	pl->last_ns = now;
	return appcore_predlog_record(pl->log, &entry, err);
}

int cli_predlog_batch(void *ctx, size_t first_row, const float *inputs, size_t num_rows,
		      const float *outputs, appcore_error *err)
{
	struct cli_predlog *pl = ctx;

	snprintf(pl->request_id, sizeof(pl->request_id), "%s/%zu", pl->run_id, first_row);
	return record(pl, pl->request_id, inputs, num_rows, outputs, pl->kind, err);
}

int cli_predlog_response(struct cli_predlog *pl, const appcore_response *response,
			 appcore_error *err)
{
	if (pl->log == NULL || response->rows == 0)
		return APPCORE_OK;
	snprintf(pl->request_id, sizeof(pl->request_id), "%s/0", pl->run_id);
	return record(pl, pl->request_id, response->inputs, response->rows, response->outputs,
		      response->output_kind, err);
}

void cli_predlog_close(struct cli_predlog *pl)
{
	appcore_error err;

	if (pl->log == NULL)
		return;
	if (appcore_predlog_flush(pl->log, pl->flush_ms, &err) != APPCORE_OK)
		fprintf(stderr,
			"appcore-cli predict: prediction log: %s; the rows not yet in PostgreSQL stay "
			"in the spool and are sent by the next run with the same spool_dir\n",
			err.message);
	appcore_predlog_close(pl->log);
	pl->log = NULL;
}
