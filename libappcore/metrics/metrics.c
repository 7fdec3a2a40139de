/* Registry, registration and the lock-free update paths. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "metrics/metrics_internal.h"

static uint64_t double_bits(double value)
{
	uint64_t bits;
	memcpy(&bits, &value, sizeof(bits));
	return bits;
}

static double bits_double(uint64_t bits)
{
	double value;
	memcpy(&value, &bits, sizeof(value));
	return value;
}

double ac_series_value(const appcore_metrics_series *series)
{
	return bits_double(atomic_load_explicit(&series->value_bits, memory_order_relaxed));
}

void ac_series_store(appcore_metrics_series *series, double value)
{
	atomic_store_explicit(&series->value_bits, double_bits(value), memory_order_relaxed);
}

static void series_add(appcore_metrics_series *series, double delta)
{
	uint64_t old = atomic_load_explicit(&series->value_bits, memory_order_relaxed);
	/* on failure old is reloaded; integer increments stay exact up to 2^53 */
	while (!atomic_compare_exchange_weak_explicit(&series->value_bits, &old,
						      double_bits(bits_double(old) + delta),
						      memory_order_relaxed, memory_order_relaxed))
		;
}

void appcore_metrics_counter_add(appcore_metrics_series *series, double value)
{
	if (series == NULL || !(value >= 0))
		return;
	series_add(series, value);
}

void appcore_metrics_counter_inc(appcore_metrics_series *series)
{
	if (series != NULL)
		series_add(series, 1.0);
}

void appcore_metrics_gauge_set(appcore_metrics_series *series, double value)
{
	if (series != NULL)
		ac_series_store(series, value);
}

void appcore_metrics_gauge_add(appcore_metrics_series *series, double delta)
{
	if (series != NULL)
		series_add(series, delta);
}

void appcore_metrics_histogram_observe(appcore_metrics_series *series, double value)
{
	const appcore_metrics_family *family;
	size_t i = 0;

	if (series == NULL || isnan(value) || series->bucket_counts == NULL)
		return;
	family = series->family;
	/* Prometheus buckets are "less than or equal"; few bounds, so linear */
	while (i < family->num_buckets && value > family->buckets[i])
		i++;
	atomic_fetch_add_explicit(&series->bucket_counts[i], 1, memory_order_relaxed);
	series_add(series, value);
}

int appcore_metrics_new(appcore_metrics **out, appcore_error *err)
{
	appcore_metrics *metrics;

	if (out == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_metrics_new: out is NULL");
	metrics = calloc(1, sizeof(*metrics));
	if (metrics == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	if (pthread_mutex_init(&metrics->lock, NULL) != 0) {
		free(metrics);
		return ac_error_set(err, APPCORE_EINTERNAL, "cannot create a mutex");
	}
	*out = metrics;
	return APPCORE_OK;
}

static void series_free(appcore_metrics_series *series, size_t num_labels)
{
	for (size_t i = 0; series->label_values != NULL && i < num_labels; i++)
		free(series->label_values[i]);
	free(series->label_values);
	free(series->bucket_alloc);
	free(series);
}

static void family_free(appcore_metrics_family *family)
{
	appcore_metrics_series *series;

	if (family == NULL)
		return;
	series = atomic_load_explicit(&family->series, memory_order_relaxed);
	while (series != NULL) {
		appcore_metrics_series *next = series->next;
		series_free(series, family->num_labels);
		series = next;
	}
	for (size_t i = 0; i < family->num_labels; i++)
		free(family->label_names[i]);
	free(family->name);
	free(family->help);
	free(family->buckets);
	free(family);
}

void appcore_metrics_free(appcore_metrics *metrics)
{
	if (metrics == NULL)
		return;
	for (size_t i = 0; i < metrics->num_families; i++)
		family_free(metrics->families[i]);
	free(metrics->families);
	pthread_mutex_destroy(&metrics->lock);
	free(metrics);
}

static int valid_name(const char *name, int colon_ok)
{
	if (name == NULL || name[0] == '\0' || (name[0] >= '0' && name[0] <= '9'))
		return 0;
	for (const char *p = name; *p != '\0'; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || (colon_ok && c == ':')))
			return 0;
	}
	return 1;
}

static int check_labels(const char *name, const char *const *label_names, size_t num_labels,
			enum ac_metric_type type, appcore_error *err)
{
	if (num_labels > APPCORE_METRICS_MAX_LABELS)
		return ac_error_set(err, APPCORE_EINVAL, "%s: at most %d labels", name,
				    APPCORE_METRICS_MAX_LABELS);
	if (num_labels > 0 && label_names == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "%s: label names are NULL", name);
	for (size_t i = 0; i < num_labels; i++) {
		const char *label = label_names[i];
		if (!valid_name(label, 0) || strncmp(label, "__", 2) == 0)
			return ac_error_set(err, APPCORE_EINVAL, "%s: invalid label name '%s'",
					    name, label != NULL ? label : "(null)");
		if (type == AC_METRIC_HISTOGRAM && strcmp(label, "le") == 0)
			return ac_error_set(err, APPCORE_EINVAL,
					    "%s: label name 'le' is reserved for histogram buckets",
					    name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(label, label_names[j]) == 0)
				return ac_error_set(err, APPCORE_EINVAL,
						    "%s: duplicate label name '%s'", name, label);
	}
	return APPCORE_OK;
}

static int check_buckets(const char *name, const double *buckets, size_t num_buckets,
			 appcore_error *err)
{
	if (num_buckets == 0 || num_buckets > APPCORE_METRICS_MAX_BUCKETS || buckets == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "%s: a histogram needs 1 to %d buckets",
				    name, APPCORE_METRICS_MAX_BUCKETS);
	for (size_t i = 0; i < num_buckets; i++) {
		if (!isfinite(buckets[i]))
			return ac_error_set(err, APPCORE_EINVAL, "%s: bucket bounds must be finite",
					    name);
		if (i > 0 && !(buckets[i] > buckets[i - 1]))
			return ac_error_set(err, APPCORE_EINVAL,
					    "%s: bucket bounds must be strictly ascending", name);
	}
	return APPCORE_OK;
}

static appcore_metrics_series *series_create(appcore_metrics_family *family,
					     const char *const *label_values)
{
	appcore_metrics_series *series = calloc(1, sizeof(*series));

	if (series == NULL)
		return NULL;
	series->family = family;
	if (family->num_labels > 0) {
		series->label_values = calloc(family->num_labels, sizeof(char *));
		if (series->label_values == NULL)
			goto fail;
		for (size_t i = 0; i < family->num_labels; i++) {
			series->label_values[i] = strdup(label_values[i]);
			if (series->label_values[i] == NULL)
				goto fail;
		}
	}
	if (family->type == AC_METRIC_HISTOGRAM) {
		series->bucket_alloc = calloc(family->num_buckets + 1, sizeof(_Atomic uint64_t));
		if (series->bucket_alloc == NULL)
			goto fail;
		series->bucket_counts = series->bucket_alloc;
		for (size_t i = 0; i <= family->num_buckets; i++)
			atomic_init(&series->bucket_counts[i], 0);
	}
	atomic_init(&series->value_bits, double_bits(0.0));
	return series;
fail:
	series_free(series, family->num_labels);
	return NULL;
}

int ac_metrics_register_locked(appcore_metrics_family **out, appcore_metrics *metrics,
			       enum ac_metric_type type, const char *name, const char *help,
			       const char *const *label_names, size_t num_labels,
			       const double *buckets, size_t num_buckets, appcore_error *err)
{
	appcore_metrics_family *family;
	int rc;

	for (size_t i = 0; i < metrics->num_families; i++)
		if (strcmp(metrics->families[i]->name, name) == 0)
			return ac_error_set(err, APPCORE_EEXISTS, "%s: metric already registered",
					    name);
	if (metrics->num_families == metrics->cap_families) {
		size_t cap = metrics->cap_families ? metrics->cap_families * 2 : 16;
		appcore_metrics_family **grown = realloc(metrics->families, cap * sizeof(*grown));
		if (grown == NULL)
			return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		metrics->families = grown;
		metrics->cap_families = cap;
	}
	family = calloc(1, sizeof(*family));
	if (family == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	family->registry = metrics;
	family->type = type;
	family->num_labels = num_labels;
	atomic_init(&family->series, NULL);
	family->name = strdup(name);
	family->help = strdup(help != NULL ? help : "");
	rc = family->name != NULL && family->help != NULL ? APPCORE_OK : APPCORE_ENOMEM;
	for (size_t i = 0; rc == APPCORE_OK && i < num_labels; i++) {
		family->label_names[i] = strdup(label_names[i]);
		if (family->label_names[i] == NULL)
			rc = APPCORE_ENOMEM;
	}
	if (rc == APPCORE_OK && type == AC_METRIC_HISTOGRAM) {
		family->buckets = malloc(num_buckets * sizeof(double));
		if (family->buckets == NULL)
			rc = APPCORE_ENOMEM;
		else
			memcpy(family->buckets, buckets, num_buckets * sizeof(double));
		family->num_buckets = num_buckets;
	}
	/* an unlabelled family has exactly one series: export it at 0 from the start */
	if (rc == APPCORE_OK && num_labels == 0) {
		appcore_metrics_series *series = series_create(family, NULL);
		if (series == NULL)
			rc = APPCORE_ENOMEM;
		atomic_store_explicit(&family->series, series, memory_order_release);
	}
	if (rc != APPCORE_OK) {
		family_free(family);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	metrics->families[metrics->num_families++] = family;
	*out = family;
	return APPCORE_OK;
}

int ac_metrics_register(appcore_metrics_family **out, appcore_metrics *metrics,
			enum ac_metric_type type, const char *name, const char *help,
			const char *const *label_names, size_t num_labels, const double *buckets,
			size_t num_buckets, appcore_error *err)
{
	int rc;

	if (out == NULL || metrics == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "metric registration: NULL argument");
	*out = NULL;
	if (!valid_name(name, 1))
		return ac_error_set(err, APPCORE_EINVAL, "invalid metric name '%s'",
				    name != NULL ? name : "(null)");
	rc = check_labels(name, label_names, num_labels, type, err);
	if (rc == APPCORE_OK && type == AC_METRIC_HISTOGRAM)
		rc = check_buckets(name, buckets, num_buckets, err);
	if (rc != APPCORE_OK)
		return rc;
	pthread_mutex_lock(&metrics->lock);
	rc = ac_metrics_register_locked(out, metrics, type, name, help, label_names, num_labels,
					buckets, num_buckets, err);
	pthread_mutex_unlock(&metrics->lock);
	return rc;
}

int appcore_metrics_add_counter(appcore_metrics_family **out, appcore_metrics *metrics,
				const char *name, const char *help, const char *const *label_names,
				size_t num_labels, appcore_error *err)
{
	return ac_metrics_register(out, metrics, AC_METRIC_COUNTER, name, help, label_names,
				   num_labels, NULL, 0, err);
}

int appcore_metrics_add_gauge(appcore_metrics_family **out, appcore_metrics *metrics,
			      const char *name, const char *help, const char *const *label_names,
			      size_t num_labels, appcore_error *err)
{
	return ac_metrics_register(out, metrics, AC_METRIC_GAUGE, name, help, label_names,
				   num_labels, NULL, 0, err);
}

int appcore_metrics_add_histogram(appcore_metrics_family **out, appcore_metrics *metrics,
				  const char *name, const char *help,
				  const char *const *label_names, size_t num_labels,
				  const double *buckets, size_t num_buckets, appcore_error *err)
{
	return ac_metrics_register(out, metrics, AC_METRIC_HISTOGRAM, name, help, label_names,
				   num_labels, buckets, num_buckets, err);
}

static appcore_metrics_series *find_series(appcore_metrics_family *metric,
					   const char *const *label_values)
{
	appcore_metrics_series *series =
	    atomic_load_explicit(&metric->series, memory_order_acquire);

	for (; series != NULL; series = series->next) {
		size_t i;
		for (i = 0; i < metric->num_labels; i++)
			if (strcmp(series->label_values[i], label_values[i]) != 0)
				break;
		if (i == metric->num_labels)
			return series;
	}
	return NULL;
}

int appcore_metrics_get_series(appcore_metrics_series **out, appcore_metrics_family *metric,
			       const char *const *label_values, appcore_error *err)
{
	appcore_metrics_series *series;

	if (out == NULL || metric == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_metrics_series: NULL argument");
	*out = NULL;
	if (metric->num_labels > 0) {
		if (label_values == NULL)
			return ac_error_set(err, APPCORE_EINVAL, "%s: needs %zu label values",
					    metric->name, metric->num_labels);
		for (size_t i = 0; i < metric->num_labels; i++)
			if (label_values[i] == NULL)
				return ac_error_set(err, APPCORE_EINVAL, "%s: label '%s' is NULL",
						    metric->name, metric->label_names[i]);
	}
	series = find_series(metric, label_values);
	if (series != NULL) {
		*out = series;
		return APPCORE_OK;
	}
	pthread_mutex_lock(&metric->registry->lock);
	/* another thread may have created it between our lookup and the lock */
	series = find_series(metric, label_values);
	if (series == NULL) {
		series = series_create(metric, label_values);
		if (series != NULL) {
			series->next = atomic_load_explicit(&metric->series, memory_order_relaxed);
			atomic_store_explicit(&metric->series, series, memory_order_release);
		}
	}
	pthread_mutex_unlock(&metric->registry->lock);
	if (series == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	*out = series;
	return APPCORE_OK;
}
