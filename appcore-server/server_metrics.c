#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server_metrics.h"

/* Methods outside this list are counted as "other" so a client cannot create
 * unbounded label values. */
static const char *method_label(const char *method)
{
	static const char *const known[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
					     "OPTIONS" };
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(method, known[i]) == 0)
			return known[i];
	return "other";
}

int server_metrics_init(struct server_metrics *metrics, const double *buckets, size_t num_buckets,
			appcore_error *err)
{
	static const char *const request_labels[] = { "method", "route", "status" };
	static const char *const error_labels[] = { "route", "status" };
	static const char *const route_labels[] = { "route" };
	static const char *const model_labels[] = { "model" };
	static const char *const info_labels[] = { "name", "version", "objective" };
	static const char *const build_labels[] = { "version", "revision" };
	static const double row_buckets[] = { 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000 };
	appcore_metrics_family *duration = NULL;
	appcore_metrics_family *in_flight = NULL;
	appcore_metrics_family *rows = NULL;
	appcore_metrics_family *build_info = NULL;
	appcore_metrics_series *build_series = NULL;
	const char *build_values[] = { appcore_version(), appcore_build_revision() };
	int rc;

	memset(metrics, 0, sizeof(*metrics));
	rc = appcore_metrics_new(&metrics->registry, err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_counter(
		    &metrics->requests_total, metrics->registry, "appcore_http_requests_total",
		    "HTTP requests answered, by method, route and status.", request_labels, 3, err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_histogram(
		    &duration, metrics->registry, "appcore_http_request_duration_seconds",
		    "Time from request headers received to response written.", route_labels, 1,
		    buckets, num_buckets, err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_counter(
		    &metrics->errors_total, metrics->registry, "appcore_http_errors_total",
		    "HTTP answers with status >= 400, by route and status.", error_labels, 2, err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_gauge(&in_flight, metrics->registry,
					       "appcore_http_requests_in_flight",
					       "HTTP requests being handled now.", NULL, 0, err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_counter(&metrics->predictions_total, metrics->registry,
						 "appcore_predictions_total",
						 "Rows predicted, by model.", model_labels, 1, err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_histogram(
		    &rows, metrics->registry, "appcore_prediction_rows",
		    "Rows per prediction request.", NULL, 0, row_buckets,
		    sizeof(row_buckets) / sizeof(row_buckets[0]), err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_gauge(
		    &metrics->model_info, metrics->registry, "appcore_model_info",
		    "Models served (1) and retired (0), by name, version and objective.", info_labels, 3, err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_gauge(&build_info, metrics->registry, "appcore_build_info",
					       "Version and git revision of this build (always 1).",
					       build_labels, 2, err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_get_series(&build_series, build_info, build_values, err);
	if (rc == APPCORE_OK)
		appcore_metrics_gauge_set(build_series, 1);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_get_series(&metrics->in_flight, in_flight, NULL, err);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_get_series(&metrics->prediction_rows, rows, NULL, err);
	if (rc == APPCORE_OK &&
	    (metrics->duration = calloc(routes_count() + 1, sizeof(*metrics->duration))) == NULL)
		rc = appcore_error_set(err, APPCORE_ENOMEM, "out of memory");
	for (int route = ROUTE_UNMATCHED; rc == APPCORE_OK && route < (int)routes_count(); route++) {
		const char *label[] = { route_label(route) };
		rc = appcore_metrics_get_series(&metrics->duration[route + 1], duration, label, err);
	}
	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_process_collector(metrics->registry, err);
	if (rc != APPCORE_OK)
		server_metrics_free(metrics);
	return rc;
}

void server_metrics_free(struct server_metrics *metrics)
{
	free(metrics->duration);
	appcore_metrics_free(metrics->registry);
	memset(metrics, 0, sizeof(*metrics));
}

void server_metrics_model_served(struct server_metrics *metrics, const appcore_model *model,
				 int served)
{
	const char *info[] = { appcore_model_name(model), appcore_model_version(model),
			       appcore_model_objective(model) };
	appcore_metrics_series *series;

	if (metrics->registry != NULL &&
	    appcore_metrics_get_series(&series, metrics->model_info, info, NULL) == APPCORE_OK)
		appcore_metrics_gauge_set(series, served ? 1 : 0);
}

void server_metrics_request_started(struct server_metrics *metrics)
{
	if (metrics->in_flight != NULL)
		appcore_metrics_gauge_add(metrics->in_flight, 1);
}

void server_metrics_request_finished(struct server_metrics *metrics, int route,
				     const char *method, int status, double seconds)
{
	char status_text[8];
	appcore_metrics_series *series;

	if (metrics->registry == NULL)
		return;
	appcore_metrics_gauge_add(metrics->in_flight, -1);
	appcore_metrics_histogram_observe(metrics->duration[route + 1], seconds);
	snprintf(status_text, sizeof(status_text), "%d", status);
	{
		const char *labels[] = { method_label(method), route_label(route), status_text };
		if (appcore_metrics_get_series(&series, metrics->requests_total, labels, NULL) ==
		    APPCORE_OK)
			appcore_metrics_counter_inc(series);
	}
	if (status >= 400) {
		const char *labels[] = { route_label(route), status_text };
		if (appcore_metrics_get_series(&series, metrics->errors_total, labels, NULL) ==
		    APPCORE_OK)
			appcore_metrics_counter_inc(series);
	}
}

void server_metrics_predicted(struct server_metrics *metrics, const char *model, size_t rows)
{
	const char *labels[] = { model };
	appcore_metrics_series *series;

	if (metrics->registry == NULL)
		return;
	if (appcore_metrics_get_series(&series, metrics->predictions_total, labels, NULL) ==
	    APPCORE_OK)
		appcore_metrics_counter_add(series, (double)rows);
	appcore_metrics_histogram_observe(metrics->prediction_rows, (double)rows);
}
