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
	appcore_metrics_series **duration; /* by route + 1 (unmatched first) */
	appcore_metrics_series *in_flight;
	appcore_metrics_series *prediction_rows;
};

int server_metrics_init(struct server_metrics *metrics, const double *buckets, size_t num_buckets,
			appcore_error *err);
void server_metrics_free(struct server_metrics *metrics);

/* appcore_model_info{name,version,objective}: 1 while the model is served, 0 after. */
void server_metrics_model_served(struct server_metrics *metrics, const appcore_model *model,
				 int served);

void server_metrics_request_started(struct server_metrics *metrics);
void server_metrics_request_finished(struct server_metrics *metrics, int route,
				     const char *method, int status, double seconds);
/* Rows predicted by the model called model (a served model's name: a bounded label). */
void server_metrics_predicted(struct server_metrics *metrics, const char *model, size_t rows);

#endif
