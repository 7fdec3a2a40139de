#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "jobs_service.h"

/* How often the job counts are read from Redis for /metrics. */
#define POLL_MS 2000

struct jobs_service {
	struct app *app;
	appcore_jobs *jobs;
	pthread_t poller;
	int polling;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop; /* under lock */

	/* metrics, NULL when metrics are off */
	appcore_metrics_series *queued, *running, *up, *rows_per_second;
	appcore_metrics_series *submitted, *succeeded, *failed, *cancelled, *rows_scored;
	appcore_jobs_stats last; /* the totals already added to the counters */
	int have_last;
	double last_rows_at;
};

appcore_jobs *jobs_service_store(const struct jobs_service *service)
{
	return service->jobs;
}

/* The model lookup jobs are submitted with: the server's repository, as every prediction
 * (an absent version is the model's current one). */
static int resolve(appcore_model **out, void *ctx, const char *name, const char *version,
		   appcore_error *err)
{
	const struct app *app = ctx;

	return appcore_repository_get(out, app->repository, name,
				      version != NULL && version[0] != '\0' ? version : NULL, err);
}

static double now_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Counters only go up: add what the store's totals grew by since the last poll (a store that
 * lost its data starts a new baseline). */
static void add_growth(appcore_metrics_series *series, unsigned long long now,
		       unsigned long long before, int have_before)
{
	if (have_before && now > before)
		appcore_metrics_counter_add(series, (double)(now - before));
}

static void publish(struct jobs_service *s, const appcore_jobs_stats *st, int up)
{
	double t = now_seconds();

	appcore_metrics_gauge_set(s->up, up);
	if (!up)
		return;
	appcore_metrics_gauge_set(s->queued, (double)st->queued);
	appcore_metrics_gauge_set(s->running, (double)st->running);
	add_growth(s->submitted, st->submitted, s->last.submitted, s->have_last);
	add_growth(s->succeeded, st->succeeded, s->last.succeeded, s->have_last);
	add_growth(s->failed, st->failed, s->last.failed, s->have_last);
	add_growth(s->cancelled, st->cancelled, s->last.cancelled, s->have_last);
	add_growth(s->rows_scored, st->rows_scored, s->last.rows_scored, s->have_last);
	if (s->have_last && t > s->last_rows_at)
		appcore_metrics_gauge_set(s->rows_per_second,
					  st->rows_scored >= s->last.rows_scored
					      ? (double)(st->rows_scored - s->last.rows_scored) /
						    (t - s->last_rows_at)
					      : 0.0);
	s->last = *st;
	s->have_last = 1;
	s->last_rows_at = t;
}

static void *poll_stats(void *arg)
{
	struct jobs_service *s = arg;
	int was_up = 1;

	for (;;) {
		appcore_jobs_stats st;
		appcore_error err;
		struct timespec until;
		int up = appcore_jobs_stats_get(&st, s->jobs, &err) == APPCORE_OK;

		publish(s, &st, up);
		if (up != was_up) {
			appcore_log_field fields[] = { APPCORE_LOG_STR("error", up ? "" : err.message) };
			appcore_log(s->app->log, up ? APPCORE_LOG_INFO : APPCORE_LOG_WARN,
				    up ? "job store reachable again" : "job store unavailable", fields,
				    up ? 0 : 1);
			was_up = up;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += POLL_MS / 1000;
		pthread_mutex_lock(&s->lock);
		while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
			;
		if (s->stop) {
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		pthread_mutex_unlock(&s->lock);
	}
}

static int register_metrics(struct jobs_service *s, appcore_metrics *registry, appcore_error *err)
{
	static const char *const state_label[] = { "state" };
	static const char *const queued[] = { "queued" }, *const running[] = { "running" };
	static const char *const succeeded[] = { "succeeded" }, *const failed[] = { "failed" };
	static const char *const cancelled[] = { "cancelled" };
	appcore_metrics_family *jobs = NULL, *finished = NULL, *submitted = NULL, *rows = NULL,
			       *rate = NULL, *up = NULL;
	int rc;

	if ((rc = appcore_metrics_add_gauge(&jobs, registry, "appcore_jobs",
					    "Batch jobs queued or running now, in the whole job store.",
					    state_label, 1, err)) ||
	    (rc = appcore_metrics_add_counter(&finished, registry, "appcore_jobs_finished_total",
					      "Batch jobs finished, by final state (whole store).",
					      state_label, 1, err)) ||
	    (rc = appcore_metrics_add_counter(&submitted, registry, "appcore_jobs_submitted_total",
					      "Batch jobs submitted (whole store).", NULL, 0, err)) ||
	    (rc = appcore_metrics_add_counter(&rows, registry, "appcore_jobs_rows_scored_total",
					      "Rows of batch jobs scored by the workers (whole "
					      "store); rate() is rows per second.",
					      NULL, 0, err)) ||
	    (rc = appcore_metrics_add_gauge(&rate, registry, "appcore_jobs_rows_per_second",
					    "Rows of batch jobs scored per second over the last "
					    "poll of the job store (2 s).",
					    NULL, 0, err)) ||
	    (rc = appcore_metrics_add_gauge(&up, registry, "appcore_jobs_store_up",
					    "1 when the job store (Redis) answered the last poll.",
					    NULL, 0, err)) ||
	    (rc = appcore_metrics_get_series(&s->queued, jobs, queued, err)) ||
	    (rc = appcore_metrics_get_series(&s->running, jobs, running, err)) ||
	    (rc = appcore_metrics_get_series(&s->succeeded, finished, succeeded, err)) ||
	    (rc = appcore_metrics_get_series(&s->failed, finished, failed, err)) ||
	    (rc = appcore_metrics_get_series(&s->cancelled, finished, cancelled, err)) ||
	    (rc = appcore_metrics_get_series(&s->submitted, submitted, NULL, err)) ||
	    (rc = appcore_metrics_get_series(&s->rows_scored, rows, NULL, err)) ||
	    (rc = appcore_metrics_get_series(&s->rows_per_second, rate, NULL, err)) ||
	    (rc = appcore_metrics_get_series(&s->up, up, NULL, err)))
		return rc;
	return APPCORE_OK;
}

int jobs_service_start(struct jobs_service **out, struct app *app, appcore_error *err)
{
	appcore_jobs_options options = APPCORE_JOBS_OPTIONS_INIT;
	struct jobs_service *s;
	int rc;

	*out = NULL;
	if ((rc = appcore_jobs_options_from_config(&options, app->config, err)) != APPCORE_OK)
		return rc;
	if (options.redis_url[0] == '\0')
		return APPCORE_OK;
	options.resolve = resolve;
	options.resolve_ctx = app;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return appcore_error_set(err, APPCORE_ENOMEM, "out of memory");
	s->app = app;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	rc = appcore_jobs_open(&s->jobs, &options, err);
	if (rc == APPCORE_OK && app->metrics_enabled) {
		rc = register_metrics(s, app->metrics.registry, err);
		if (rc == APPCORE_OK) {
			s->polling = pthread_create(&s->poller, NULL, poll_stats, s) == 0;
			if (!s->polling)
				rc = appcore_error_set(err, APPCORE_EINTERNAL,
						       "cannot start the job metrics thread");
		}
	}
	if (rc != APPCORE_OK) {
		jobs_service_stop(s);
		return rc;
	}
	*out = s;
	return APPCORE_OK;
}

void jobs_service_stop(struct jobs_service *s)
{
	if (s == NULL)
		return;
	if (s->polling) {
		pthread_mutex_lock(&s->lock);
		s->stop = 1;
		pthread_cond_broadcast(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->poller, NULL);
	}
	appcore_jobs_close(s->jobs);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s);
}
