/* Metrics by model and version: requests, latency and rows of the prediction endpoints, and
 * what the repository does (loads, their duration, failures, versions served).
 *
 * Label values stay bounded: `model` and `version` come from models the repository has
 * served (or from its directory, for load failures), never from a request; requests for a
 * model that is not served count under MODEL_METRICS_UNKNOWN, which no model can be called. */
#ifndef APPCORE_SERVER_MODEL_METRICS_H
#define APPCORE_SERVER_MODEL_METRICS_H

#include <stddef.h>

#include <appcore.h>

#define MODEL_METRICS_UNKNOWN "_unknown"

struct model_metrics {
	appcore_metrics_family *requests; /* {model,version,protocol,status} */
	appcore_metrics_family *duration; /* {model,version} */
	appcore_metrics_family *rows;     /* {model,version} */
	appcore_metrics_family *load_duration;  /* {model} */
	appcore_metrics_family *load_failures;  /* {model} */
	appcore_metrics_family *versions;       /* {model} */
};

/* Register the families in registry (NULL: metrics are off, every call does nothing). */
int model_metrics_init(struct model_metrics *metrics, appcore_metrics *registry,
		       const double *buckets, size_t num_buckets, appcore_error *err);

/* One prediction request answered with status: model NULL when none was found. */
void model_metrics_request(struct model_metrics *metrics, const appcore_model *model,
			   const char *protocol, int status, double seconds, size_t rows);

/* A repository event (appcore_repository_event). */
void model_metrics_event(struct model_metrics *metrics, const appcore_repository_event *event);

#endif
