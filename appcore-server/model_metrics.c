#include <stdio.h>
#include <string.h>

#include "model_metrics.h"

int model_metrics_init(struct model_metrics *m, appcore_metrics *registry, const double *buckets,
		       size_t num_buckets, appcore_error *err)
{
	static const char *const request_labels[] = { "model", "version", "protocol", "status" };
	static const char *const version_labels[] = { "model", "version" };
	static const char *const model_labels[] = { "model" };
	static const double load_buckets[] = { 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1,
					       2.5,   5,    10,   30,  60,   120 };
	int rc = APPCORE_OK;

	memset(m, 0, sizeof(*m));
	if (registry == NULL)
		return APPCORE_OK;
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_counter(
		    &m->requests, registry, "appcore_model_requests_total",
		    "Prediction requests by model, version, protocol (predict, oip, tfserving) and "
		    "status; model and version are \"" MODEL_METRICS_UNKNOWN
		    "\" when no served model matched.",
		    request_labels, 4, err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_histogram(
		    &m->duration, registry, "appcore_model_request_duration_seconds",
		    "Time to answer a prediction request, by model and version.", version_labels, 2,
		    buckets, num_buckets, err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_counter(&m->rows, registry, "appcore_model_rows_total",
						 "Rows predicted, by model and version.",
						 version_labels, 2, err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_histogram(
		    &m->load_duration, registry, "appcore_model_load_duration_seconds",
		    "Time to load and check a model version, by model.", model_labels, 1,
		    load_buckets, sizeof(load_buckets) / sizeof(load_buckets[0]), err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_counter(
		    &m->load_failures, registry, "appcore_model_load_failures_total",
		    "Model versions (or config.yaml files) that failed to load, by model; the "
		    "versions served before keep serving.",
		    model_labels, 1, err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_gauge(&m->versions, registry,
					       "appcore_model_versions_loaded",
					       "Versions of each model being served.", model_labels,
					       1, err);
	if (rc != APPCORE_OK)
		memset(m, 0, sizeof(*m));
	return rc;
}

void model_metrics_request(struct model_metrics *m, const appcore_model *model,
			   const char *protocol, int status, double seconds, size_t rows)
{
	const char *name = model != NULL ? appcore_model_name(model) : MODEL_METRICS_UNKNOWN;
	const char *version = model != NULL ? appcore_model_version(model) : MODEL_METRICS_UNKNOWN;
	const char *by_version[] = { name, version };
	appcore_metrics_series *series;
	char status_text[8];

	if (m->requests == NULL)
		return;
	snprintf(status_text, sizeof(status_text), "%d", status);
	{
		const char *labels[] = { name, version, protocol, status_text };
		if (appcore_metrics_get_series(&series, m->requests, labels, NULL) == APPCORE_OK)
			appcore_metrics_counter_inc(series);
	}
	if (model == NULL)
		return;
	if (appcore_metrics_get_series(&series, m->duration, by_version, NULL) == APPCORE_OK)
		appcore_metrics_histogram_observe(series, seconds);
	if (rows > 0 && appcore_metrics_get_series(&series, m->rows, by_version, NULL) == APPCORE_OK)
		appcore_metrics_counter_add(series, (double)rows);
}

void model_metrics_event(struct model_metrics *m, const appcore_repository_event *event)
{
	const char *labels[] = { event->model };
	appcore_metrics_series *series;

	if (m->requests == NULL || event->model == NULL)
		return;
	switch (event->kind) {
	case APPCORE_REPOSITORY_EVENT_LOADED:
		if (appcore_metrics_get_series(&series, m->load_duration, labels, NULL) == APPCORE_OK)
			appcore_metrics_histogram_observe(series, event->seconds);
		break;
	case APPCORE_REPOSITORY_EVENT_LOAD_FAILED:
		if (appcore_metrics_get_series(&series, m->load_failures, labels, NULL) == APPCORE_OK)
			appcore_metrics_counter_inc(series);
		break;
	case APPCORE_REPOSITORY_EVENT_UNLOADED:
	case APPCORE_REPOSITORY_EVENT_IGNORED:
		break;
	}
	if (event->kind != APPCORE_REPOSITORY_EVENT_IGNORED &&
	    appcore_metrics_get_series(&series, m->versions, labels, NULL) == APPCORE_OK)
		appcore_metrics_gauge_set(series, (double)event->versions_served);
}
