/**
 * @file appcore/metrics.h
 * @brief A Prometheus metrics registry: counters, gauges, histograms.
 *
 * A registry holds metric families (name, help, type, label names fixed at
 * registration). A family has one series per combination of label values;
 * appcore_metrics_get_series() returns the series handle that the hot path keeps
 * and updates. Updates are lock-free atomics and safe from any number of
 * threads; looking up an existing series is lock-free too (only creating a
 * new series or family takes a mutex). appcore_metrics_render() writes the
 * Prometheus text exposition format 0.0.4, families sorted by name and
 * series by label values, so equal states render byte-identically.
 *
 * Numbers are written in the shortest form that reads back exactly: whole
 * numbers without exponent (`3`, `1048576`), others like `0.005` or `1e-05`,
 * and `+Inf`, `-Inf`, `NaN`. Histogram bounds use the same form (`le="0.005"`,
 * `le="1"`, `le="+Inf"`).
 */
#ifndef APPCORE_METRICS_H
#define APPCORE_METRICS_H

#include <stddef.h>

#include "common.h"
#include "error.h"

APPCORE_BEGIN_DECLS

/** A registry of metric families. */
typedef struct appcore_metrics appcore_metrics;
/** A metric family: name, help, type and label names. Owned by its registry. */
typedef struct appcore_metrics_family appcore_metrics_family;
/** One label-value combination of a family: the hot-path handle. Owned by its registry. */
typedef struct appcore_metrics_series appcore_metrics_series;

/** Most label names a family can have. */
#define APPCORE_METRICS_MAX_LABELS 8
/** Most bucket bounds a histogram can have (+Inf is implicit and not counted). */
#define APPCORE_METRICS_MAX_BUCKETS 64

/**
 * Create an empty registry.
 * @param out receives the registry; release it with appcore_metrics_free().
 * @return APPCORE_OK, APPCORE_EINVAL, APPCORE_ENOMEM.
 */
APPCORE_API int appcore_metrics_new(appcore_metrics **out, appcore_error *err);

/**
 * Release a registry and every family and series in it (their handles become
 * invalid). No other thread may use the registry concurrently. @param metrics may be NULL.
 */
APPCORE_API void appcore_metrics_free(appcore_metrics *metrics);

/**
 * Register a counter (a value that only goes up; name it `..._total`).
 *
 * @param out receives the family handle, valid as long as the registry.
 * @param name `[a-zA-Z_:][a-zA-Z0-9_:]*`, unique in the registry.
 * @param help one line of description (backslashes and newlines are escaped).
 * @param label_names `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`, distinct;
 *        at most #APPCORE_METRICS_MAX_LABELS. NULL when @p num_labels is 0.
 * @return APPCORE_OK; APPCORE_EEXISTS when the name is taken; APPCORE_EINVAL
 *         for an invalid name or label name; APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_metrics_add_counter(appcore_metrics_family **out, appcore_metrics *metrics,
					    const char *name, const char *help,
					    const char *const *label_names, size_t num_labels,
					    appcore_error *err);

/** Register a gauge (a value that goes up and down). As appcore_metrics_add_counter(). */
APPCORE_API int appcore_metrics_add_gauge(appcore_metrics_family **out, appcore_metrics *metrics,
					  const char *name, const char *help,
					  const char *const *label_names, size_t num_labels,
					  appcore_error *err);

/**
 * Register a histogram with the given upper bounds (strictly ascending,
 * finite; `+Inf` is added). The label name `le` is reserved. Otherwise as
 * appcore_metrics_add_counter().
 *
 * @param buckets 1 to #APPCORE_METRICS_MAX_BUCKETS bounds; copied.
 */
APPCORE_API int appcore_metrics_add_histogram(appcore_metrics_family **out,
					      appcore_metrics *metrics, const char *name,
					      const char *help, const char *const *label_names,
					      size_t num_labels, const double *buckets,
					      size_t num_buckets, appcore_error *err);

/**
 * Get (or create) the series of @p metric for the given label values. Keep
 * the handle: it stays valid as long as the registry. Looking up an existing
 * series takes no lock.
 *
 * @param label_values one string per label name (any bytes; copied), or NULL
 *        when the family has no labels.
 * @return APPCORE_OK, APPCORE_EINVAL (NULL value for a labelled family),
 *         APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_metrics_get_series(appcore_metrics_series **out,
					   appcore_metrics_family *family,
					   const char *const *label_values, appcore_error *err);

/** Add @p value (>= 0; negative and NaN values are ignored) to a counter. Lock-free. */
APPCORE_API void appcore_metrics_counter_add(appcore_metrics_series *series, double value);
/** Add 1 to a counter. Lock-free. */
APPCORE_API void appcore_metrics_counter_inc(appcore_metrics_series *series);
/** Set a gauge. Lock-free. */
APPCORE_API void appcore_metrics_gauge_set(appcore_metrics_series *series, double value);
/** Add @p delta (may be negative) to a gauge. Lock-free. */
APPCORE_API void appcore_metrics_gauge_add(appcore_metrics_series *series, double delta);
/** Record one observation in a histogram (NaN is ignored). Lock-free. */
APPCORE_API void appcore_metrics_histogram_observe(appcore_metrics_series *series, double value);

/**
 * Add the standard process metrics, read from /proc at render time:
 * process_cpu_seconds_total, process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_start_time_seconds,
 * process_open_fds, process_max_fds.
 *
 * @return APPCORE_OK; APPCORE_EEXISTS if enabled twice or a name is taken;
 *         APPCORE_ENOMEM. Thread-safe.
 */
APPCORE_API int appcore_metrics_add_process_collector(appcore_metrics *metrics, appcore_error *err);

/**
 * Render every family in the Prometheus text format 0.0.4 (content type
 * `text/plain; version=0.0.4; charset=utf-8`). Families without series are
 * written as HELP and TYPE lines only; an unlabelled counter or gauge has
 * its series from registration, at 0.
 *
 * @param out receives NUL-terminated text; release it with appcore_free().
 * @param out_len receives strlen(*out); may be NULL.
 * @return APPCORE_OK, APPCORE_EINVAL, APPCORE_ENOMEM. Thread-safe, and
 *         concurrent updates go on while it renders.
 */
APPCORE_API int appcore_metrics_render(char **out, size_t *out_len, appcore_metrics *metrics,
				       appcore_error *err);

APPCORE_END_DECLS

#endif /* APPCORE_METRICS_H */
