#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "repository_lifecycle.h"

/* Versions announced in appcore_model_info, so that retiring one can zero its series (the
 * event names the version; its objective must be remembered). Only touched by repository
 * events, which the repository serialises. */
struct served_info {
	char *name, *version, *objective;
};

static struct served_info *served;
static size_t num_served;

static void remember(struct app *app, const appcore_model *model)
{
	struct served_info *grown = realloc(served, (num_served + 1) * sizeof(*served));

	server_metrics_model_served(&app->metrics, model, 1);
	if (grown == NULL)
		return;
	served = grown;
	served[num_served].name = strdup(appcore_model_name(model));
	served[num_served].version = strdup(appcore_model_version(model));
	served[num_served].objective = strdup(appcore_model_objective(model));
	num_served++;
}

static void forget(struct app *app, const char *name, const char *version)
{
	for (size_t i = 0; i < num_served; i++) {
		struct served_info *s = &served[i];
		if (s->name == NULL || s->version == NULL || strcmp(s->name, name) != 0 ||
		    strcmp(s->version, version) != 0)
			continue;
		if (s->objective != NULL && app->metrics.registry != NULL) {
			const char *labels[] = { s->name, s->version, s->objective };
			appcore_metrics_series *series;
			if (appcore_metrics_get_series(&series, app->metrics.model_info, labels,
						       NULL) == APPCORE_OK)
				appcore_metrics_gauge_set(series, 0);
		}
		free(s->name);
		free(s->version);
		free(s->objective);
		served[i] = served[--num_served];
		return;
	}
}

static const char *or_empty(const char *text)
{
	return text != NULL ? text : "";
}

static void log_loaded(struct app *app, const appcore_repository_event *event)
{
	appcore_model *model = NULL;

	/* lookups are allowed from an event: the version was just published */
	if (appcore_repository_get(&model, app->repository, event->model, event->version, NULL) !=
	    APPCORE_OK)
		return;
	remember(app, model);
	{
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("name", appcore_model_name(model)),
			APPCORE_LOG_STR("version", appcore_model_version(model)),
			APPCORE_LOG_STR("path", or_empty(event->path)),
			APPCORE_LOG_STR("objective", appcore_model_objective(model)),
			APPCORE_LOG_STR("booster", appcore_model_booster(model)),
			APPCORE_LOG_INT("trees", (long long)appcore_model_num_trees(model)),
			APPCORE_LOG_INT("features", (long long)appcore_model_num_features(model)),
			APPCORE_LOG_FLOAT("load_ms", event->seconds * 1000.0),
			APPCORE_LOG_INT("versions_served", (long long)event->versions_served),
		};
		appcore_log(app->log, APPCORE_LOG_INFO, "model loaded", fields,
			    sizeof(fields) / sizeof(fields[0]));
	}
	appcore_model_unref(model);
}

static void on_event(const appcore_repository_event *event, void *data)
{
	struct app *app = data;

	model_metrics_event(&app->model_metrics, event);
	switch (event->kind) {
	case APPCORE_REPOSITORY_EVENT_LOADED:
		log_loaded(app, event);
		break;
	case APPCORE_REPOSITORY_EVENT_UNLOADED: {
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("name", or_empty(event->model)),
			APPCORE_LOG_STR("version", or_empty(event->version)),
			APPCORE_LOG_INT("versions_served", (long long)event->versions_served),
		};
		forget(app, or_empty(event->model), or_empty(event->version));
		appcore_log(app->log, APPCORE_LOG_INFO, "model unloaded", fields, 3);
		break;
	}
	case APPCORE_REPOSITORY_EVENT_LOAD_FAILED: {
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("name", or_empty(event->model)),
			APPCORE_LOG_STR("version", or_empty(event->version)),
			APPCORE_LOG_STR("path", or_empty(event->path)),
			APPCORE_LOG_STR("code", appcore_error_name(event->error->code)),
			APPCORE_LOG_STR("error", event->error->message),
			APPCORE_LOG_INT("versions_served", (long long)event->versions_served),
		};
		appcore_log(app->log, APPCORE_LOG_ERROR, "model failed to load", fields, 6);
		break;
	}
	case APPCORE_REPOSITORY_EVENT_IGNORED: {
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("path", or_empty(event->path)),
			APPCORE_LOG_STR("error", event->error->message),
		};
		appcore_log(app->log, APPCORE_LOG_WARN, "model repository entry ignored", fields, 2);
		break;
	}
	}
}

int server_repository_open(struct app *app)
{
	const struct server_settings *s = &app->settings;
	appcore_repository_options options = APPCORE_REPOSITORY_OPTIONS_INIT;
	appcore_error err;

	app->from_directory = s->repository_path[0] != '\0';
	options.path = app->from_directory ? s->repository_path : NULL;
	options.poll_seconds = (double)s->repository_poll_seconds;
	options.predict_defaults = &app->predict_options;
	options.use_best_iteration = s->model_use_best_iteration;
	options.default_model = s->repository_default_model[0] != '\0' ? s->repository_default_model
									 : NULL;
	options.on_event = on_event;
	options.event_data = app;
	if (model_metrics_init(&app->model_metrics, app->metrics.registry, s->latency_buckets,
			       s->num_latency_buckets, &err) != APPCORE_OK ||
	    appcore_repository_new(&app->repository, &options, &err) != APPCORE_OK) {
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("path", app->from_directory ? s->repository_path : ""),
			APPCORE_LOG_STR("code", appcore_error_name(err.code)),
			APPCORE_LOG_STR("error", err.message),
		};
		appcore_log(app->log, APPCORE_LOG_ERROR, "model repository not opened", fields, 3);
		return -1;
	}
	return 0;
}

static double monotonic_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

int server_repository_load(struct app *app)
{
	const char *path = app->from_directory ? app->settings.repository_path
					       : app->settings.model_path;
	double started = monotonic_seconds();
	appcore_error err;
	int rc;

	appcore_error_clear(&err);
	rc = app->from_directory ? appcore_repository_reload(app->repository, &err)
				 : appcore_repository_add_configured(app->repository, app->config,
								     &err);
	if (rc != APPCORE_OK) {
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("path", path),
			APPCORE_LOG_STR("code", appcore_error_name(err.code)),
			APPCORE_LOG_STR("error", err.message),
		};
		appcore_log(app->log, APPCORE_LOG_ERROR,
			    app->from_directory ? "model repository failed to load"
						: "model failed to load",
			    fields, 3);
		return -1;
	}
	{
		appcore_log_field fields[] = {
			APPCORE_LOG_STR("path", path),
			APPCORE_LOG_INT("models", (long long)appcore_repository_num_ready(app->repository)),
			APPCORE_LOG_FLOAT("load_ms", (monotonic_seconds() - started) * 1000.0),
		};
		appcore_log(app->log, APPCORE_LOG_INFO, "ready", fields, 3);
	}
	atomic_store(&app->ready, 1);
	return 0;
}

void server_repository_reload(struct app *app)
{
	appcore_error err;

	if (appcore_repository_reload_async(app->repository, &err) != APPCORE_OK) {
		appcore_log_field fields[] = { APPCORE_LOG_STR("error", err.message) };
		appcore_log(app->log, APPCORE_LOG_ERROR, "reload not started", fields, 1);
		return;
	}
	{
		appcore_log_field fields[] = { APPCORE_LOG_STR("signal", "SIGHUP") };
		appcore_log(app->log, APPCORE_LOG_INFO, "reloading models", fields, 1);
	}
}

void server_repository_close(struct app *app)
{
	appcore_repository_free(app->repository);
	app->repository = NULL;
	for (size_t i = 0; i < num_served; i++) {
		free(served[i].name);
		free(served[i].version);
		free(served[i].objective);
	}
	free(served);
	served = NULL;
	num_served = 0;
}
