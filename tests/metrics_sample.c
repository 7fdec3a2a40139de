/* The metrics sample every metrics test renders: the server's families with a few requests
 * recorded, label values that need escaping, a histogram with an ignored NaN. Shared by
 * test_metrics.c (exact text) and metrics_sample_main.c (outside parsers). */
#include <math.h>
#include <stdio.h>

#include "metrics_sample.h"

static const char *const request_labels[] = { "method", "route", "status" };
static const char *const route_label[] = { "route" };
static const char *const info_labels[] = { "name", "version", "objective" };
static const double duration_buckets[] = { 0.005, 0.01, 0.1, 1 };

/* The server's metrics with a few requests recorded. */
appcore_metrics *metrics_sample_registry(void)
{
	appcore_metrics *metrics = NULL;
	appcore_metrics_family *requests, *duration, *in_flight, *info;
	appcore_metrics_series *s;
	appcore_error err;

	if (appcore_metrics_new(&metrics, &err) != APPCORE_OK)
		goto fail;
	/* registered out of order: rendering sorts */
	if (appcore_metrics_add_gauge(&in_flight, metrics, "appcore_http_requests_in_flight",
				      "Requests being served.", NULL, 0, &err) != APPCORE_OK)
		goto fail;
	if (appcore_metrics_add_counter(&requests, metrics, "appcore_http_requests_total",
					"HTTP requests by method, route and status.",
					request_labels, 3, &err) != APPCORE_OK)
		goto fail;
	if (appcore_metrics_add_histogram(&duration, metrics,
					  "appcore_http_request_duration_seconds",
					  "Request latency in seconds.", route_label, 1,
					  duration_buckets, 4, &err) != APPCORE_OK)
		goto fail;
	if (appcore_metrics_add_gauge(&info, metrics, "appcore_model_info",
				      "The loaded model; the value is always 1.", info_labels, 3,
				      &err) != APPCORE_OK)
		goto fail;

	const char *post_ok[] = { "POST", "/predict", "200" };
	const char *post_bad[] = { "POST", "/predict", "422" };
	const char *get_health[] = { "GET", "/health", "200" };
	if (appcore_metrics_get_series(&s, requests, post_ok, &err) != APPCORE_OK)
		goto fail;
	appcore_metrics_counter_inc(s);
	appcore_metrics_counter_add(s, 2);
	if (appcore_metrics_get_series(&s, requests, post_bad, &err) != APPCORE_OK)
		goto fail;
	appcore_metrics_counter_add(s, 2);
	if (appcore_metrics_get_series(&s, requests, get_health, &err) != APPCORE_OK)
		goto fail;
	appcore_metrics_counter_inc(s);
	appcore_metrics_counter_add(s, -5); /* ignored: counters never go down */

	const char *predict[] = { "/predict" };
	if (appcore_metrics_get_series(&s, duration, predict, &err) != APPCORE_OK)
		goto fail;
	appcore_metrics_histogram_observe(s, 0.003);
	appcore_metrics_histogram_observe(s, 0.007);
	appcore_metrics_histogram_observe(s, 0.5);
	appcore_metrics_histogram_observe(s, 2.0);
	appcore_metrics_histogram_observe(s, NAN); /* ignored */

	if (appcore_metrics_get_series(&s, in_flight, NULL, &err) != APPCORE_OK)
		goto fail;
	appcore_metrics_gauge_set(s, 5);
	appcore_metrics_gauge_add(s, -3);

	const char *model[] = { "iris \"v\\1\"\nx", "1", "multi:softprob" };
	if (appcore_metrics_get_series(&s, info, model, &err) != APPCORE_OK)
		goto fail;
	appcore_metrics_gauge_set(s, 1);
	return metrics;
fail:
	fprintf(stderr, "metrics sample: %s\n", err.message);
	appcore_metrics_free(metrics);
	return NULL;
}
