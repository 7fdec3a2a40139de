#include <string.h>

#include "settings.h"

int server_settings_read(struct server_settings *s, const appcore_config *c, appcore_error *err)
{
	long long max_body = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = appcore_config_get_string(&s->host, c, "server.host", err)) != 0 ||
	    (rc = appcore_config_get_int(&s->port, c, "server.port", err)) != 0 ||
	    (rc = appcore_config_get_int(&s->threads, c, "server.threads", err)) != 0 ||
	    (rc = appcore_config_get_int(&s->request_timeout_ms, c, "server.request_timeout_ms",
					 err)) != 0 ||
	    (rc = appcore_config_get_int(&s->keep_alive_timeout_ms, c,
					 "server.keep_alive_timeout_ms", err)) != 0 ||
	    (rc = appcore_config_get_int(&max_body, c, "server.max_body_bytes", err)) != 0 ||
	    (rc = appcore_config_get_int(&s->shutdown_grace_ms, c, "server.shutdown_grace_ms",
					 err)) != 0 ||
	    (rc = appcore_config_get_string(&s->api_keys_file, c, "server.api_keys_file", err)) ||
	    (rc = appcore_config_get_int(&s->ops_port, c, "server.ops_port", err)) != 0 ||
	    (rc = appcore_config_get_int(&s->queue_timeout_ms, c, "server.queue_timeout_ms",
					 err)) != 0 ||
	    (rc = appcore_config_get_string(&s->model_path, c, "model.path", err)) != 0 ||
	    (rc = appcore_config_get_bool(&s->model_use_best_iteration, c,
					  "model.use_best_iteration", err)) != 0 ||
	    (rc = appcore_config_get_int(&s->model_predict_threads, c, "model.predict_threads",
					 err)) != 0 ||
	    (rc = appcore_config_get_string(&s->repository_path, c, "model_repository.path",
					    err)) != 0 ||
	    (rc = appcore_config_get_int(&s->repository_poll_seconds, c,
					 "model_repository.poll_seconds", err)) != 0 ||
	    (rc = appcore_config_get_string(&s->repository_default_model, c,
					    "model_repository.default_model", err)) != 0 ||
	    (rc = appcore_config_get_string(&s->log_level, c, "logging.level", err)) != 0 ||
	    (rc = appcore_config_get_string(&s->log_format, c, "logging.format", err)) != 0 ||
	    (rc = appcore_config_get_bool(&s->access_log, c, "logging.access_log", err)) != 0 ||
	    (rc = appcore_config_get_bool(&s->metrics_enabled, c, "metrics.enabled", err)) != 0 ||
	    (rc = appcore_config_get_bool(&s->metrics_require_key, c, "metrics.require_api_key",
					  err)) != 0 ||
	    (rc = appcore_config_get_list(&s->latency_buckets, &s->num_latency_buckets, c,
					  "metrics.latency_buckets_seconds", err)) != 0)
		return rc;
	s->max_body_bytes = (size_t)max_body;
	return APPCORE_OK;
}
