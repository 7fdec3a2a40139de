/* The prediction_log section of a configuration as appcore_predlog_options. */
#include <string.h>

#include "core/error_internal.h"
#include "predlog/predlog_internal.h"

int appcore_predlog_options_from_config(appcore_predlog_options *o, const appcore_config *config,
					appcore_error *err)
{
	long long queue_rows, batch_rows, sync_ms, max_bytes, connect_ms, write_ms, shutdown_ms;
	const char *policy;
	int rc;

	if (o == NULL || config == NULL)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_predlog_options_from_config: NULL argument");
	if (o->version == 0 || o->version > APPCORE_PREDLOG_OPTIONS_VERSION)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_predlog_options: unknown version %u", o->version);
	/* the schema guarantees every key and its range: a failure here is a library bug */
	if ((rc = appcore_config_get_string(&o->conninfo, config, "prediction_log.url", err)) ||
	    (rc = appcore_config_get_string(&o->password_file, config,
					    "prediction_log.password_file", err)) ||
	    (rc = appcore_config_get_string(&o->spool_dir, config, "prediction_log.spool_dir",
					    err)) ||
	    (rc = appcore_config_get_double(&o->sample_rate, config, "prediction_log.sample_rate",
					    err)) ||
	    (rc = appcore_config_get_bool(&o->include_inputs, config,
					  "prediction_log.include_inputs", err)) ||
	    (rc = appcore_config_get_string(&policy, config, "prediction_log.on_disk_full", err)) ||
	    (rc = appcore_config_get_int(&queue_rows, config, "prediction_log.queue_rows", err)) ||
	    (rc = appcore_config_get_int(&batch_rows, config, "prediction_log.batch_rows", err)) ||
	    (rc = appcore_config_get_int(&sync_ms, config, "prediction_log.sync_interval_ms",
					 err)) ||
	    (rc = appcore_config_get_bool(&o->fsync, config, "prediction_log.fsync", err)) ||
	    (rc = appcore_config_get_int(&max_bytes, config, "prediction_log.spool_max_bytes",
					 err)) ||
	    (rc = appcore_config_get_int(&connect_ms, config, "prediction_log.connect_timeout_ms",
					 err)) ||
	    (rc = appcore_config_get_int(&write_ms, config, "prediction_log.write_timeout_ms",
					 err)) ||
	    (rc = appcore_config_get_int(&shutdown_ms, config, "prediction_log.shutdown_timeout_ms",
					 err)))
		return rc;
	o->on_disk_full = strcmp(policy, "drop") == 0 ? APPCORE_PREDLOG_FULL_DROP
						      : APPCORE_PREDLOG_FULL_REFUSE;
	o->queue_rows = (size_t)queue_rows;
	o->batch_rows = (size_t)batch_rows;
	o->sync_interval_ms = (unsigned int)sync_ms;
	o->spool_max_bytes = (unsigned long long)max_bytes;
	o->connect_timeout_ms = (unsigned int)connect_ms;
	o->write_timeout_ms = (unsigned int)write_ms;
	o->shutdown_timeout_ms = (unsigned int)shutdown_ms;
	return APPCORE_OK;
}
