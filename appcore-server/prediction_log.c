#include <string.h>
#include <strings.h>
#include <time.h>

#include "app.h"
#include "http.h"
#include "prediction_log.h"

int prediction_log_start(struct app *app, appcore_error *err)
{
	appcore_predlog_options options;
	int enabled = 0, rc;

	if ((rc = appcore_config_get_bool(&enabled, app->config, "prediction_log.enabled", err)) !=
		APPCORE_OK ||
	    !enabled)
		return rc;
	if ((rc = appcore_predlog_options_init(&options, APPCORE_PREDLOG_OPTIONS_VERSION)) !=
		APPCORE_OK ||
	    (rc = appcore_predlog_options_from_config(&options, app->config, err)) != APPCORE_OK)
		return rc;
	options.metrics = app->metrics.registry; /* NULL when metrics are off */
	options.logger = app->log;
	if ((rc = appcore_predlog_open(&app->predlog, &options, err)) != APPCORE_OK)
		return rc;
	app->predict_options.keep_rows = 1;
	{
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("spool_dir", options.spool_dir),
			APPCORE_LOG_INT("sync_interval_ms", options.sync_interval_ms),
			APPCORE_LOG_BOOL("fsync", options.fsync),
			APPCORE_LOG_FLOAT("sample_rate", options.sample_rate),
			APPCORE_LOG_BOOL("include_inputs", options.include_inputs),
			APPCORE_LOG_STR("on_disk_full", options.on_disk_full == APPCORE_PREDLOG_FULL_DROP
								? "drop"
								: "refuse"),
		};
		appcore_log(app->log, APPCORE_LOG_INFO, "prediction log enabled", fields,
			    sizeof(fields) / sizeof(fields[0]));
	}
	return APPCORE_OK;
}

void prediction_log_stop(struct app *app)
{
	appcore_predlog_close(app->predlog);
	app->predlog = NULL;
}

/* The id of the request's API key (the key itself is never logged); "" without keys. The
 * request already passed auth_check, so the bearer token is one of the keys. */
static void client_id(char *out, const struct request *req)
{
	static const char scheme[] = "Bearer ";
	const char *token = http_header(req, "Authorization");
	size_t len;

	out[0] = '\0';
	if (req->app->api_keys.count == 0 || token == NULL ||
	    strncasecmp(token, scheme, sizeof(scheme) - 1) != 0)
		return;
	token += sizeof(scheme) - 1;
	while (*token == ' ')
		token++;
	len = strlen(token);
	while (len > 0 && token[len - 1] == ' ')
		len--;
	if (appcore_predlog_key_id(out, token, len) != APPCORE_OK)
		out[0] = '\0';
}

int prediction_log_record(struct request *req, const appcore_model *model, const float *inputs,
			  size_t rows, const float *outputs, appcore_output_kind kind)
{
	appcore_predlog_entry entry = APPCORE_PREDLOG_ENTRY_INIT;
	char client[APPCORE_PREDLOG_KEY_ID_SIZE];
	struct timespec now;
	appcore_error err;

	if (req->app->predlog == NULL || inputs == NULL || outputs == NULL || rows == 0)
		return 0;
	client_id(client, req);
	clock_gettime(CLOCK_MONOTONIC, &now);
	entry.request_id = req->id;
	entry.model = model;
	entry.inputs = inputs;
	entry.num_rows = rows;
	entry.outputs = outputs;
	entry.output_kind = kind;
	entry.received_unix_us = req->received_unix_us;
	entry.latency_seconds =
	    (double)((long long)now.tv_sec * 1000000000LL + now.tv_nsec - req->started_ns) / 1e9;
	entry.client = client;
	switch (appcore_predlog_record(req->app->predlog, &entry, &err)) {
	case APPCORE_OK:
		return 0;
	case APPCORE_EUNAVAILABLE:
		return http_send_error(req, "Retry-After: 1\r\n", APPCORE_EUNAVAILABLE, "%s",
				       err.message);
	default: {
		/* counted as dropped by the library; say why once per occurrence */
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("request_id", req->id),
			APPCORE_LOG_STR("error", err.message),
		};
		appcore_log(req->app->log, APPCORE_LOG_WARN, "prediction not logged", fields, 2);
		return 0;
	}
	}
}
