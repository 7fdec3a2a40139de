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
#include "jobs_service.h"
#include "options.h"
#include "repository_lifecycle.h"
#include "prediction_log.h"
#include "request_id.h"
#include "routes.h"

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

static struct mg_context *start_http(struct app *app, const struct server_options *options,
				     int *port_out)
{
	const struct server_settings *settings = &app->settings;
	char listening[300], threads[24], request_timeout[24], keep_alive_timeout[24];
	struct mg_callbacks callbacks;
	struct mg_server_port ports[4];
	struct mg_context *ctx;
	int count;

	snprintf(listening, sizeof(listening), "%s:%lld", settings->host,
		 options->any_port ? 0LL : settings->port);
	snprintf(threads, sizeof(threads), "%lld", settings->threads);
	snprintf(request_timeout, sizeof(request_timeout), "%lld", settings->request_timeout_ms);
	snprintf(keep_alive_timeout, sizeof(keep_alive_timeout), "%lld",
		 settings->keep_alive_timeout_ms);
	/* no document_root: nothing is ever served from disk */
	const char *civetweb_options[] = {
		"listening_ports", listening,
		"num_threads", threads,
		"enable_keep_alive", "yes",
		"tcp_nodelay", "1",
		"request_timeout_ms", request_timeout,
		"keep_alive_timeout_ms", keep_alive_timeout,
		"listen_backlog", "1024",
		NULL,
	};

	memset(&callbacks, 0, sizeof(callbacks));
	callbacks.http_error = routes_framework_error;
	/* every request is dispatched from the first one on: a handler registered
	 * after mg_start would leave a window of CivetWeb 404s */
	callbacks.begin_request = routes_begin_request;
	ctx = mg_start(&callbacks, app, civetweb_options);
	if (ctx == NULL)
		return NULL;
	memset(ports, 0, sizeof(ports));
	count = mg_get_server_ports(ctx, 4, ports);
	*port_out = count > 0 ? ports[0].port : 0;
	return ctx;
}

/* Let in-flight requests finish, up to the grace period. Requests that still
 * arrive are served with "Connection: close", so keep-alive clients leave;
 * stop once nothing is in flight and nothing has finished for a quiet
 * interval (a request already on the wire is then answered, not dropped). */
static void drain(struct app *app, double grace_seconds)
{
	const double quiet_seconds = 0.1;
	const struct timespec pause = { 0, 5L * 1000 * 1000 };
	double deadline = monotonic_seconds() + grace_seconds;

	while (monotonic_seconds() < deadline) {
		double last_finish = (double)atomic_load(&app->last_finish_ns) / 1e9;
		if (atomic_load(&app->in_flight) == 0 && monotonic_seconds() - last_finish >= quiet_seconds)
			break;
		nanosleep(&pause, NULL);
	}
}

/* CivetWeb's accept loop notices mg_stop only when its poll wakes, at most
 * every 2 s: knock on the listening socket until the stop completes, so the
 * process exits promptly (docker stop allows little time). */
struct stop_waker {
	struct sockaddr_in address;
	atomic_int done;
};

static void *knock_until_stopped(void *arg)
{
	struct stop_waker *waker = arg;
	const struct timespec pause = { 0, 20L * 1000 * 1000 };

	while (!atomic_load(&waker->done)) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0) {
			/* refused or not, the knock has done its job */
			(void)connect(fd, (const struct sockaddr *)&waker->address,
				      sizeof(waker->address));
			close(fd);
		}
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static void stop_http(struct mg_context *ctx, const char *host, int port)
{
	struct stop_waker waker;
	pthread_t thread;
	int knocking;

	memset(&waker, 0, sizeof(waker));
	waker.address.sin_family = AF_INET;
	waker.address.sin_port = htons((uint16_t)port);
	/* a wildcard listener is reachable on loopback */
	if (strcmp(host, "0.0.0.0") == 0 || inet_pton(AF_INET, host, &waker.address.sin_addr) != 1)
		waker.address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	knocking = pthread_create(&thread, NULL, knock_until_stopped, &waker) == 0;
	mg_stop(ctx);
	atomic_store(&waker.done, 1);
	if (knocking)
		pthread_join(thread, NULL);
}

int main(int argc, char **argv)
{
	struct server_options options;
	struct app app;
	struct mg_context *ctx;
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
	signal(SIGPIPE, SIG_IGN);

	mg_init_library(0);
	ctx = start_http(&app, &options, &port);
	if (ctx == NULL) {
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("address", app.settings.host),
			APPCORE_LOG_INT("port", options.any_port ? 0 : app.settings.port),
		};
		appcore_log(app.log, APPCORE_LOG_ERROR, "cannot listen", fields, 2);
		goto out_library;
	}
	{
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("version", appcore_version()),
			APPCORE_LOG_STR("revision", appcore_build_revision()),
			APPCORE_LOG_STR("address", app.settings.host),
			APPCORE_LOG_INT("port", port),
			APPCORE_LOG_INT("threads", app.settings.threads),
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
		mg_stop(ctx);
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
	drain(&app, (double)app.settings.shutdown_grace_ms / 1000.0);
	stop_http(ctx, app.settings.host, port);
	{
		appcore_log_field fields[] = {
			APPCORE_LOG_INT("in_flight", atomic_load(&app.in_flight)),
		};
		appcore_log(app.log, APPCORE_LOG_INFO, "stopped", fields, 1);
	}
	exit_code = 0;

out_library:
	mg_exit_library();
	jobs_service_stop(app.jobs);
	server_repository_close(&app);
	prediction_log_stop(&app);
out_metrics:
	server_metrics_free(&app.metrics);
out_logger:
	auth_keys_free(&app.api_keys);
	appcore_logger_free(app.log);
out_config:
	appcore_config_free(app.config);
	return exit_code;
}
