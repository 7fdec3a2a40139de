/* The configuration values the server uses, read once at start-up with the library's typed
 * getters, so a missing or mistyped key stops the server with its name instead of running on
 * a silent 0. */
#ifndef APPCORE_SERVER_SETTINGS_H
#define APPCORE_SERVER_SETTINGS_H

#include <stddef.h>

#include <appcore.h>

struct server_settings {
	const char *host;
	long long port;
	long long threads;
	long long request_timeout_ms;
	long long keep_alive_timeout_ms;
	size_t max_body_bytes;
	long long shutdown_grace_ms;
	const char *api_keys_file;
	long long ops_port;         /* 0: no operations listener */
	long long queue_timeout_ms; /* 0: never refuse a connection for waiting */
	const char *model_path;
	int model_use_best_iteration;
	long long model_predict_threads; /* 0: every online core */
	/* model_repository.*: a directory of models, served instead of model.path when set */
	const char *repository_path;
	long long repository_poll_seconds;
	const char *repository_default_model;
	const char *log_level;
	const char *log_format;
	int access_log;
	int metrics_enabled;
	int metrics_require_key;
	const double *latency_buckets;
	size_t num_latency_buckets;
};

/* Fill settings from config (strings stay owned by config). */
int server_settings_read(struct server_settings *settings, const appcore_config *config,
			 appcore_error *err);

#endif
