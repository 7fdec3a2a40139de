/*
 * appcore-server: a thin CivetWeb shell around libappcore.
 *
 * Lifecycle: configuration (defaults < file < env < flags), then listen, then
 * load the model (so /health answers and /ready says 503 during a long load),
 * then serve until SIGTERM/SIGINT, drain, stop.
 *
 * Signals are blocked before CivetWeb starts its workers, so every thread
 * inherits the mask and only the main thread receives SIGTERM/SIGINT, through
 * sigwait(). Shutdown therefore runs in ordinary code, not a signal handler,
 * and the process needs no init as PID 1 in a container.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <appcore.h>
#include <civetweb.h>

#include "app.h"
#include "front.h"
#include "options.h"
#include "request_id.h"

static double monotonic_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

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

static appcore_model *load_model(struct app *app)
{
	const char *path = app->settings.model_path;
	double started = monotonic_seconds();
	appcore_model *model = NULL;
	appcore_error err;

	appcore_error_clear(&err);
	if (appcore_config_load_model(&model, app->config, NULL, &err) != APPCORE_OK ||
	    server_metrics_set_model(&app->metrics, model, &err) != APPCORE_OK) {
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("path", path),
			APPCORE_LOG_STR("code", appcore_error_name(err.code)),
			APPCORE_LOG_STR("error", err.message),
		};
		appcore_log(app->log, APPCORE_LOG_ERROR, "model failed to load", fields, 3);
		appcore_model_unref(model);
		return NULL;
	}
	{
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("path", path),
			APPCORE_LOG_STR("name", appcore_model_name(model)),
			APPCORE_LOG_STR("version", appcore_model_version(model)),
			APPCORE_LOG_STR("objective", appcore_model_objective(model)),
			APPCORE_LOG_STR("booster", appcore_model_booster(model)),
			APPCORE_LOG_INT("trees", (long long)appcore_model_num_trees(model)),
			APPCORE_LOG_INT("features", (long long)appcore_model_num_features(model)),
			APPCORE_LOG_FLOAT("load_ms", (monotonic_seconds() - started) * 1000.0),
		};
		appcore_log(app->log, APPCORE_LOG_INFO, "model loaded", fields,
			    sizeof(fields) / sizeof(fields[0]));
	}
	return model;
}

int main(int argc, char **argv)
{
	struct server_options options;
	struct app app;
	struct front_stop_report stopped;
	appcore_model *model;
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

	request_id_seed();
	raise_fd_limit();
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
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
			APPCORE_LOG_INT("max_body_bytes", (long long)app.max_body_bytes),
			APPCORE_LOG_INT("request_timeout_ms", app.settings.request_timeout_ms),
			APPCORE_LOG_INT("shutdown_grace_ms", app.settings.shutdown_grace_ms),
			APPCORE_LOG_STR("model_path", app.settings.model_path),
			APPCORE_LOG_BOOL("metrics", app.metrics_enabled),
			APPCORE_LOG_BOOL("access_log", app.access_log),
			APPCORE_LOG_INT("api_keys", (long long)app.api_keys.count),
		};
		appcore_log(app.log, APPCORE_LOG_INFO, "listening", fields,
			    sizeof(fields) / sizeof(fields[0]));
	}

	model = load_model(&app);
	if (model == NULL) {
		front_stop(app.front, 0, NULL);
		goto out_library;
	}
	atomic_store_explicit(&app.model, model, memory_order_release);

	while (sigwait(&stop_signals, &signal_number) != 0)
		;
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
	appcore_model_unref(model);
	exit_code = 0;

out_library:
	mg_exit_library();
	server_metrics_free(&app.metrics);
out_logger:
	auth_keys_free(&app.api_keys);
	appcore_logger_free(app.log);
out_config:
	appcore_config_free(app.config);
	return exit_code;
}
