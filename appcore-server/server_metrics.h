/* The server's Prometheus metrics: registered once at start-up, with the
 * per-route series resolved up front so a request touches only atomics. */
#ifndef APPCORE_SERVER_METRICS_H
#define APPCORE_SERVER_METRICS_H

#include <stddef.h>

#include <appcore.h>

#include "route_ids.h"

struct server_metrics {
	appcore_metrics *registry;
	appcore_metrics_family *requests_total;    /* {method,route,status} */
	appcore_metrics_family *errors_total;      /* {route,status}, status >= 400 */
	appcore_metrics_family *predictions_total; /* {model}, rows predicted */
	appcore_metrics_family *model_info;        /* {name,version,objective} = 1 */
	appcore_metrics_series *duration[ROUTE_COUNT];
	appcore_metrics_series *in_flight;
	appcore_metrics_series *prediction_rows;
	appcore_metrics_series *predictions; /* the loaded model's series, NULL before load */
};

int server_metrics_init(struct server_metrics *metrics, const double *buckets, size_t num_buckets,
			appcore_error *err);
void server_metrics_free(struct server_metrics *metrics);

/* Publish appcore_model_info and resolve the predictions series for model. */
int server_metrics_set_model(struct server_metrics *metrics, const appcore_model *model,
			     appcore_error *err);

void server_metrics_request_started(struct server_metrics *metrics);
void server_metrics_request_finished(struct server_metrics *metrics, enum route_id route,
				     const char *method, int status, double seconds);
void server_metrics_predicted(struct server_metrics *metrics, size_t rows);

#endif
