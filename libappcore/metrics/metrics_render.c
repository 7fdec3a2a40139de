/* The Prometheus text exposition format 0.0.4. */
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "core/log_strbuf.h"
#include "metrics/metrics_internal.h"

/* HELP text escapes backslash and newline; label values also the quote. */
static void put_escaped(ac_strbuf *buf, const char *text, int quote)
{
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '\\')
			ac_strbuf_puts(buf, "\\\\");
		else if (*p == '\n')
			ac_strbuf_puts(buf, "\\n");
		else if (quote && *p == '"')
			ac_strbuf_puts(buf, "\\\"");
		else
			ac_strbuf_putc(buf, *p);
	}
}

/* {a="x",b="y"} plus an optional le label; nothing when there are no labels. */
static void put_labels(ac_strbuf *buf, const appcore_metrics_series *series, const char *le)
{
	const appcore_metrics_family *family = series->family;

	if (family->num_labels == 0 && le == NULL)
		return;
	ac_strbuf_putc(buf, '{');
	for (size_t i = 0; i < family->num_labels; i++) {
		if (i > 0)
			ac_strbuf_putc(buf, ',');
		ac_strbuf_puts(buf, family->label_names[i]);
		ac_strbuf_puts(buf, "=\"");
		put_escaped(buf, series->label_values[i], 1);
		ac_strbuf_putc(buf, '"');
	}
	if (le != NULL) {
		ac_strbuf_puts(buf, family->num_labels > 0 ? ",le=\"" : "le=\"");
		ac_strbuf_puts(buf, le);
		ac_strbuf_putc(buf, '"');
	}
	ac_strbuf_putc(buf, '}');
}

static void put_sample(ac_strbuf *buf, const char *name, const char *suffix,
		       const appcore_metrics_series *series, const char *le, double value)
{
	ac_strbuf_puts(buf, name);
	ac_strbuf_puts(buf, suffix);
	put_labels(buf, series, le);
	ac_strbuf_putc(buf, ' ');
	ac_strbuf_double(buf, value);
	ac_strbuf_putc(buf, '\n');
}

static void render_histogram(ac_strbuf *buf, const appcore_metrics_series *series)
{
	const appcore_metrics_family *family = series->family;
	char le[AC_DOUBLE_BUFSIZE];
	uint64_t cumulative = 0;

	/* _count is the +Inf bucket read in this pass, so the two always agree */
	for (size_t i = 0; i <= family->num_buckets; i++) {
		cumulative += atomic_load_explicit(&series->bucket_counts[i], memory_order_relaxed);
		if (i < family->num_buckets)
			ac_format_double(le, family->buckets[i]);
		else
			strcpy(le, "+Inf");
		put_sample(buf, family->name, "_bucket", series, le, (double)cumulative);
	}
	put_sample(buf, family->name, "_sum", series, NULL, ac_series_value(series));
	put_sample(buf, family->name, "_count", series, NULL, (double)cumulative);
}

static int compare_families(const void *a, const void *b)
{
	const appcore_metrics_family *fa = *(appcore_metrics_family *const *)a;
	const appcore_metrics_family *fb = *(appcore_metrics_family *const *)b;
	return strcmp(fa->name, fb->name);
}

static int compare_series(const void *a, const void *b)
{
	const appcore_metrics_series *sa = *(appcore_metrics_series *const *)a;
	const appcore_metrics_series *sb = *(appcore_metrics_series *const *)b;

	for (size_t i = 0; i < sa->family->num_labels; i++) {
		int c = strcmp(sa->label_values[i], sb->label_values[i]);
		if (c != 0)
			return c;
	}
	return 0;
}

static const char *type_name(enum ac_metric_type type)
{
	switch (type) {
	case AC_METRIC_COUNTER:
		return "counter";
	case AC_METRIC_GAUGE:
		return "gauge";
	case AC_METRIC_HISTOGRAM:
		return "histogram";
	}
	return "untyped";
}

static int render_family(ac_strbuf *buf, appcore_metrics_family *family)
{
	appcore_metrics_series *head = atomic_load_explicit(&family->series, memory_order_acquire);
	appcore_metrics_series **sorted;
	size_t n = 0;

	ac_strbuf_printf(buf, "# HELP %s ", family->name);
	put_escaped(buf, family->help, 0);
	ac_strbuf_printf(buf, "\n# TYPE %s %s\n", family->name, type_name(family->type));
	for (appcore_metrics_series *s = head; s != NULL; s = s->next)
		n++;
	if (n == 0)
		return 0;
	sorted = malloc(n * sizeof(*sorted));
	if (sorted == NULL)
		return -1;
	n = 0;
	for (appcore_metrics_series *s = head; s != NULL; s = s->next)
		sorted[n++] = s;
	qsort(sorted, n, sizeof(*sorted), compare_series);
	for (size_t i = 0; i < n; i++) {
		if (family->type == AC_METRIC_HISTOGRAM)
			render_histogram(buf, sorted[i]);
		else
			put_sample(buf, family->name, "", sorted[i], NULL,
				   ac_series_value(sorted[i]));
	}
	free(sorted);
	return 0;
}

int appcore_metrics_render(char **out, size_t *out_len, appcore_metrics *metrics,
			   appcore_error *err)
{
	appcore_metrics_family **sorted = NULL;
	ac_strbuf buf;
	size_t n;
	int failed = 0;

	if (out == NULL || metrics == NULL)
		return ac_error_set(err, APPCORE_EINVAL, "appcore_metrics_render: NULL argument");
	*out = NULL;
	ac_strbuf_init(&buf, NULL, 0);
	pthread_mutex_lock(&metrics->lock);
	n = metrics->num_families;
	if (n > 0) {
		sorted = malloc(n * sizeof(*sorted));
		if (sorted == NULL)
			failed = 1;
	}
	if (!failed) {
		if (n > 0)
			memcpy(sorted, metrics->families, n * sizeof(*sorted));
		if (n > 0)
			qsort(sorted, n, sizeof(*sorted), compare_families);
		for (size_t i = 0; i < n && !failed; i++) {
			if (sorted[i]->collect != NULL)
				sorted[i]->collect(sorted[i]);
			failed = render_family(&buf, sorted[i]) != 0;
		}
	}
	pthread_mutex_unlock(&metrics->lock);
	free(sorted);
	if (failed) {
		ac_strbuf_release(&buf);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	*out = ac_strbuf_detach(&buf, out_len);
	return *out != NULL ? APPCORE_OK : ac_error_set(err, APPCORE_ENOMEM, "out of memory");
}
