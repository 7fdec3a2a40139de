/* Registry internals shared by metrics.c (registration, updates),
 * metrics_render.c (text format) and process.c (process collector). */
#ifndef APPCORE_METRICS_INTERNAL_H
#define APPCORE_METRICS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "appcore/metrics.h"

enum ac_metric_type { AC_METRIC_COUNTER, AC_METRIC_GAUGE, AC_METRIC_HISTOGRAM };

struct appcore_metrics_series {
	struct appcore_metrics_series *next; /* immutable once published */
	appcore_metrics_family *family;
	char **label_values;
	/* counters and gauges: the value; histograms: the sum. Bits of a double,
	 * updated with compare-and-swap since C11 has no atomic double add. */
	_Atomic uint64_t value_bits;
	/* histograms: per-bucket (not cumulative) counts, num_buckets + 1 for +Inf */
	_Atomic uint64_t *bucket_counts;
	void *bucket_alloc; /* bucket_counts, for free() */
};

struct appcore_metrics_family {
	appcore_metrics *registry;
	char *name;
	char *help;
	enum ac_metric_type type;
	size_t num_labels;
	char *label_names[APPCORE_METRICS_MAX_LABELS];
	double *buckets;
	size_t num_buckets;
	/* Append-only list: readers walk it without a lock; writers hold
	 * registry->lock and publish a fully built series with a release store. */
	_Atomic(appcore_metrics_series *) series;
	/* set for collector families: refreshes the values before rendering */
	void (*collect)(appcore_metrics_family *metric);
};

struct appcore_metrics {
	pthread_mutex_t lock; /* registration, series creation, render */
	appcore_metrics_family **families;
	size_t num_families;
	size_t cap_families;
};

int ac_metrics_register(appcore_metrics_family **out, appcore_metrics *metrics,
			enum ac_metric_type type, const char *name, const char *help,
			const char *const *label_names, size_t num_labels, const double *buckets,
			size_t num_buckets, appcore_error *err);
/* With registry->lock held. */
int ac_metrics_register_locked(appcore_metrics_family **out, appcore_metrics *metrics,
			       enum ac_metric_type type, const char *name, const char *help,
			       const char *const *label_names, size_t num_labels,
			       const double *buckets, size_t num_buckets, appcore_error *err);
double ac_series_value(const appcore_metrics_series *series);
void ac_series_store(appcore_metrics_series *series, double value);

#endif
