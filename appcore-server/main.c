/*
 * appcore-server: a thin CivetWeb shell around libappcore.
 *
 * Lifecycle: configuration (defaults < file < env < flags), then listen, then
 * load the models (so /health answers and the other routes say 503 during a
 * long load), then serve until SIGTERM/SIGINT, drain, stop. SIGHUP reloads
 * the models (repository_lifecycle.c).
 *
 * Signals are blocked before CivetWeb starts its workers, so every thread
 * inherits the mask and only the main thread receives SIGTERM/SIGINT/SIGHUP,
 * through sigwait(). Shutdown therefore runs in ordinary code, not a signal
 * handler, and the process needs no init as PID 1 in a container.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <appcore.h>
#include <civetweb.h>

#include "app.h"
#include "front.h"
#include "jobs_service.h"
#include "options.h"
#include "repository_lifecycle.h"
#include "prediction_log.h"
#include "request_id.h"
#include "routes.h"

/* NULL on failure, with *exit_code 1 for a bad file or environment and 2 for a
 * bad flag value (a usage error). */
static appcore_config *load_config(const struct server_options *options, int *exit_code)
{
	appcore_config *config = NULL;
	appcore_error err;

	appcore_error_clear(&err);
	*exit_code = 1;
	if (appcore_config_load(&config, options->config_path, &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-server: %s\n", err.message);
		return NULL;
	}
	for (int i = 0; i < FLAG_COUNT; i++) {
		const struct flag_setting *flag = &options->flags[i];
		if (flag->value == NULL)
			continue;
		if (appcore_config_set(config, flag->key, flag->value, APPCORE_CONFIG_FLAG, &err) !=
		    APPCORE_OK) {
			fprintf(stderr, "appcore-server: %s\nTry 'appcore-server --help'.\n",
				err.message);
			appcore_config_free(config);
			*exit_code = 2;
			return NULL;
		}
	}
	return config;
}

static int print_config(const appcore_config *config, const char *format)
{
	appcore_error err;
	char *text = NULL;
	size_t len = 0;

	if (appcore_config_render(&text, &len, config,
				  strcmp(format, "json") == 0 ? APPCORE_CONFIG_JSON : APPCORE_CONFIG_YAML,
				  &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-server: %s\n", err.message);
		return 1;
	}
	fwrite(text, 1, len, stdout);
	appcore_free(text);
	return 0;
}

static appcore_logger *make_logger(const struct server_settings *settings)
{
	appcore_logger *log = NULL;
	appcore_log_level level = APPCORE_LOG_INFO;
	appcore_error err;

	appcore_log_level_parse(&level, settings->log_level);
	if (appcore_logger_new(&log, 2, level,
			       strcmp(settings->log_format, "text") == 0 ? APPCORE_LOG_TEXT
									 : APPCORE_LOG_JSON,
			       &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-server: %s\n", err.message);
		return NULL;
	}
	return log;
}

/* CivetWeb's accept loop spins when descriptors run out (upstream #962):
 * take every descriptor the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		setrlimit(RLIMIT_NOFILE, &limit);
	}
}

int main(int argc, char **argv)
{
	struct server_options options;
	struct app app;
	struct front_stop_report stopped;
	appcore_error err;
	sigset_t stop_signals;
	int signal_number = 0;
	int port = 0;
	int exit_code = 1;

	switch (server_options_parse(&options, argc, argv)) {
	case OPTIONS_EXIT_OK:
		return 0;
	case OPTIONS_EXIT_USAGE:
		return 2;
	case OPTIONS_RUN:
		break;
	}

	memset(&app, 0, sizeof(app));
	app.config = load_config(&options, &exit_code);
	if (app.config == NULL)
		return exit_code;
	exit_code = 1;
	if (options.print_config != NULL) {
		exit_code = print_config(app.config, options.print_config);
		appcore_config_free(app.config);
		return exit_code;
	}
	if (server_settings_read(&app.settings, app.config, &err) != APPCORE_OK) {
		fprintf(stderr, "appcore-server: %s\n", err.message);
		goto out_config;
	}
	app.log = make_logger(&app.settings);
	if (app.log == NULL)
		goto out_config;

	app.max_body_bytes = app.settings.max_body_bytes;
	app.access_log = app.settings.access_log;
	app.metrics_enabled = app.settings.metrics_enabled;
	app.metrics_require_key = app.settings.metrics_require_key;
	{
		const char *keys_file = app.settings.api_keys_file;
		if (keys_file[0] != '\0' &&
		    auth_keys_load(&app.api_keys, keys_file, &err) != APPCORE_OK) {
			appcore_log_field fields[] = { APPCORE_LOG_STR("error", err.message) };
			appcore_log(app.log, APPCORE_LOG_ERROR, "API keys not loaded", fields, 1);
			goto out_logger;
		}
	}
	if (appcore_predict_options_init(&app.predict_options, APPCORE_PREDICT_OPTIONS_VERSION) !=
		APPCORE_OK ||
	    appcore_config_predict_options(&app.predict_options, app.config, &err) != APPCORE_OK) {
		appcore_log_field fields[] = { APPCORE_LOG_STR("error", err.message) };
		appcore_log(app.log, APPCORE_LOG_ERROR, "prediction options not set", fields, 1);
		goto out_logger;
	}
	if (app.metrics_enabled) {
		if (server_metrics_init(&app.metrics, app.settings.latency_buckets,
					app.settings.num_latency_buckets, &err) != APPCORE_OK) {
			appcore_log_field fields[] = { APPCORE_LOG_STR("error", err.message) };
			appcore_log(app.log, APPCORE_LOG_ERROR, "metrics setup failed", fields, 1);
			goto out_logger;
		}
	}

	if (prediction_log_start(&app, &err) != APPCORE_OK) {
		appcore_log_field fields[] = { APPCORE_LOG_STR("error", err.message) };
		appcore_log(app.log, APPCORE_LOG_ERROR, "prediction log not started", fields, 1);
		goto out_metrics;
	}
	if (jobs_service_start(&app.jobs, &app, &err) != APPCORE_OK) {
		appcore_log_field fields[] = { APPCORE_LOG_STR("error", err.message) };
		appcore_log(app.log, APPCORE_LOG_ERROR, "batch jobs not started", fields, 1);
		prediction_log_stop(&app);
		goto out_metrics;
	}

	request_id_seed();
	raise_fd_limit();
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGHUP);
	/* before any thread starts (the repository's own, CivetWeb's workers) */
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	if (server_repository_open(&app) != 0)
		goto out_metrics;
	if (app.settings.model_predict_threads != 1) {
		if (appcore_pool_new(&app.predict_pool, (size_t)app.settings.model_predict_threads,
				     &err) != APPCORE_OK) {
			appcore_log_field fields[] = { APPCORE_LOG_STR("error", err.message) };
			appcore_log(app.log, APPCORE_LOG_ERROR, "prediction threads not started",
				    fields, 1);
			server_repository_close(&app);
			goto out_metrics;
		}
		app.predict_options.pool = app.predict_pool;
	}
	signal(SIGPIPE, SIG_IGN);

	mg_init_library(0);
	if (front_start(&app.front, &app, options.any_port, &err) != APPCORE_OK) {
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("address", app.settings.host),
			APPCORE_LOG_INT("port", options.any_port ? 0 : app.settings.port),
			APPCORE_LOG_STR("error", err.message),
		};
		appcore_log(app.log, APPCORE_LOG_ERROR, "cannot listen", fields, 3);
		goto out_library;
	}
	port = front_port(app.front);
	{
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("version", appcore_version()),
			APPCORE_LOG_STR("revision", appcore_build_revision()),
			APPCORE_LOG_STR("address", app.settings.host),
			APPCORE_LOG_INT("port", port),
			APPCORE_LOG_INT("ops_port", front_ops_port(app.front)),
			APPCORE_LOG_INT("threads", app.settings.threads),
			APPCORE_LOG_INT("predict_threads",
					(long long)appcore_pool_num_threads(app.predict_pool)),
			APPCORE_LOG_INT("max_body_bytes", (long long)app.max_body_bytes),
			APPCORE_LOG_INT("request_timeout_ms", app.settings.request_timeout_ms),
			APPCORE_LOG_INT("shutdown_grace_ms", app.settings.shutdown_grace_ms),
			APPCORE_LOG_STR("model_path", app.settings.model_path),
			APPCORE_LOG_STR("model_repository", app.settings.repository_path),
			APPCORE_LOG_BOOL("metrics", app.metrics_enabled),
			APPCORE_LOG_BOOL("access_log", app.access_log),
			APPCORE_LOG_INT("api_keys", (long long)app.api_keys.count),
			APPCORE_LOG_BOOL("jobs", app.jobs != NULL),
		};
		appcore_log(app.log, APPCORE_LOG_INFO, "listening", fields,
			    sizeof(fields) / sizeof(fields[0]));
	}

	if (server_repository_load(&app) != 0) {
		front_stop(app.front, 0, NULL);
		goto out_library;
	}

	/* SIGHUP reloads the models; SIGTERM and SIGINT stop */
	for (;;) {
		if (sigwait(&stop_signals, &signal_number) != 0)
			continue;
		if (signal_number != SIGHUP)
			break;
		server_repository_reload(&app);
	}
	atomic_store(&app.draining, 1);
	{
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"),
			APPCORE_LOG_INT("in_flight", atomic_load(&app.in_flight)),
		};
		appcore_log(app.log, APPCORE_LOG_INFO, "draining", fields, 2);
	}
	front_stop(app.front, app.settings.shutdown_grace_ms, &stopped);
	{
		appcore_log_field fields[] = {
			APPCORE_LOG_INT("in_flight", atomic_load(&app.in_flight)),
			APPCORE_LOG_FLOAT("drain_ms", stopped.drain_ms),
			APPCORE_LOG_INT("idle_closed", stopped.idle_closed),
			APPCORE_LOG_INT("left_open", stopped.left_open),
		};
		appcore_log(app.log, APPCORE_LOG_INFO, "stopped", fields,
			    sizeof(fields) / sizeof(fields[0]));
	}
	exit_code = 0;

out_library:
	mg_exit_library();
	jobs_service_stop(app.jobs);
	server_repository_close(&app);
	prediction_log_stop(&app);
	/* after the front: no request is scoring any more */
	appcore_pool_free(app.predict_pool);
out_metrics:
	server_metrics_free(&app.metrics);
out_logger:
	auth_keys_free(&app.api_keys);
	appcore_logger_free(app.log);
out_config:
	appcore_config_free(app.config);
	return exit_code;
}
