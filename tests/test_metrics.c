#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <appcore.h>

#include "check_main.h"

#include "core/log_strbuf.h"
#include "metrics_sample.h"

static const char expected_sample[] =
	"# HELP appcore_http_request_duration_seconds Request latency in seconds.\n"
	"# TYPE appcore_http_request_duration_seconds histogram\n"
	"appcore_http_request_duration_seconds_bucket{route=\"/predict\",le=\"0.005\"} 1\n"
	"appcore_http_request_duration_seconds_bucket{route=\"/predict\",le=\"0.01\"} 2\n"
	"appcore_http_request_duration_seconds_bucket{route=\"/predict\",le=\"0.1\"} 2\n"
	"appcore_http_request_duration_seconds_bucket{route=\"/predict\",le=\"1\"} 3\n"
	"appcore_http_request_duration_seconds_bucket{route=\"/predict\",le=\"+Inf\"} 4\n"
	"appcore_http_request_duration_seconds_sum{route=\"/predict\"} 2.51\n"
	"appcore_http_request_duration_seconds_count{route=\"/predict\"} 4\n"
	"# HELP appcore_http_requests_in_flight Requests being served.\n"
	"# TYPE appcore_http_requests_in_flight gauge\n"
	"appcore_http_requests_in_flight 2\n"
	"# HELP appcore_http_requests_total HTTP requests by method, route and status.\n"
	"# TYPE appcore_http_requests_total counter\n"
	"appcore_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1\n"
	"appcore_http_requests_total{method=\"POST\",route=\"/predict\",status=\"200\"} 3\n"
	"appcore_http_requests_total{method=\"POST\",route=\"/predict\",status=\"422\"} 2\n"
	"# HELP appcore_model_info The loaded model; the value is always 1.\n"
	"# TYPE appcore_model_info gauge\n"
	"appcore_model_info{name=\"iris \\\"v\\\\1\\\"\\nx\",version=\"1\",objective=\"multi:softprob\"} 1\n";

START_TEST(render_is_exact_sorted_and_escaped)
{
	appcore_metrics *metrics = metrics_sample_registry();
	char *text = NULL;
	char *again = NULL;
	size_t len = 0;

	ck_assert_int_eq(appcore_metrics_render(&text, &len, metrics, NULL), APPCORE_OK);
	ck_assert_str_eq(text, expected_sample);
	ck_assert_uint_eq(len, strlen(expected_sample));
	/* deterministic: the same state renders the same bytes */
	ck_assert_int_eq(appcore_metrics_render(&again, NULL, metrics, NULL), APPCORE_OK);
	ck_assert_str_eq(again, text);
	appcore_free(text);
	appcore_free(again);
	appcore_metrics_free(metrics);
	appcore_metrics_free(NULL);
}
END_TEST

START_TEST(numbers_use_shortest_round_trip_form)
{
	static const struct {
		double value;
		const char *text;
	} cases[] = {
		{ 0, "0" },
		{ -0.0, "0" },
		{ 3, "3" },
		{ 10000000, "10000000" },
		{ 1048576, "1048576" },
		{ 9007199254740991.0, "9007199254740991" },
		{ 1e20, "1e+20" },
		{ 0.005, "0.005" },
		{ 0.00025, "0.00025" },
		{ 1e-05, "1e-05" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 2.51, "2.51" },
		{ -1.5, "-1.5" },
		{ INFINITY, "+Inf" },
		{ -INFINITY, "-Inf" },
		{ NAN, "NaN" },
	};
	char text[AC_DOUBLE_BUFSIZE];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = ac_format_double(text, cases[i].value);
		ck_assert_str_eq(text, cases[i].text);
		ck_assert_uint_eq(n, strlen(cases[i].text));
		if (isfinite(cases[i].value))
			ck_assert(strtod(text, NULL) == cases[i].value);
	}
}
END_TEST

START_TEST(registration_errors)
{
	appcore_metrics *metrics = NULL;
	appcore_metrics_family *m = NULL;
	appcore_metrics_series *s = NULL;
	appcore_error err = { 0 };
	const char *const le[] = { "le" };
	const char *const dup[] = { "a", "a" };
	const char *const reserved[] = { "__x" };
	const char *const bad[] = { "bad-label" };
	const double unsorted[] = { 1, 0.5 };
	const double inf[] = { 1, INFINITY };

	ck_assert_int_eq(appcore_metrics_new(&metrics, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_metrics_add_counter(&m, metrics, "x_total", "h", NULL, 0, &err),
			 0);
	ck_assert_int_eq(appcore_metrics_add_gauge(&m, metrics, "x_total", "h", NULL, 0, &err),
			 APPCORE_EEXISTS);
	ck_assert_str_eq(err.message, "x_total: metric already registered");
	ck_assert_int_eq(appcore_metrics_add_counter(&m, metrics, "1x", "h", NULL, 0, &err),
			 APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "invalid metric name '1x'");
	ck_assert_int_eq(appcore_metrics_add_counter(&m, metrics, "a-b", "h", NULL, 0, &err),
			 APPCORE_EINVAL);
	ck_assert_int_eq(appcore_metrics_add_counter(&m, metrics, "", "h", NULL, 0, &err),
			 APPCORE_EINVAL);
	ck_assert_int_eq(
	    appcore_metrics_add_counter(&m, metrics, "ns:ok_total", "h", NULL, 0, &err),
	    APPCORE_OK);
	ck_assert_int_eq(appcore_metrics_add_counter(&m, metrics, "y", "h", bad, 1, &err),
			 APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "y: invalid label name 'bad-label'");
	ck_assert_int_eq(appcore_metrics_add_counter(&m, metrics, "y", "h", reserved, 1, &err),
			 APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "y: invalid label name '__x'");
	ck_assert_int_eq(appcore_metrics_add_counter(&m, metrics, "y", "h", dup, 2, &err),
			 APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "y: duplicate label name 'a'");
	ck_assert_int_eq(
	    appcore_metrics_add_histogram(&m, metrics, "h", "h", le, 1, unsorted + 1, 1, &err),
	    APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "h: label name 'le' is reserved for histogram buckets");
	ck_assert_int_eq(
	    appcore_metrics_add_histogram(&m, metrics, "h", "h", NULL, 0, unsorted, 2, &err),
	    APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "h: bucket bounds must be strictly ascending");
	ck_assert_int_eq(
	    appcore_metrics_add_histogram(&m, metrics, "h", "h", NULL, 0, inf, 2, &err),
	    APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "h: bucket bounds must be finite");
	ck_assert_int_eq(
	    appcore_metrics_add_histogram(&m, metrics, "h", "h", NULL, 0, NULL, 0, &err),
	    APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "h: a histogram needs 1 to 64 buckets");
	/* 'le' is an ordinary label outside histograms */
	ck_assert_int_eq(appcore_metrics_add_gauge(&m, metrics, "g", "h", le, 1, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_metrics_get_series(&s, m, NULL, &err), APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "g: needs 1 label values");
	appcore_metrics_free(metrics);
}
END_TEST

START_TEST(empty_and_unlabelled_families)
{
	appcore_metrics *metrics = NULL;
	appcore_metrics_family *m = NULL;
	char *text = NULL;
	const double one[] = { 1 };
	const char *const route_label[] = { "route" };

	ck_assert_int_eq(appcore_metrics_new(&metrics, NULL), APPCORE_OK);
	ck_assert_int_eq(appcore_metrics_render(&text, NULL, metrics, NULL), APPCORE_OK);
	ck_assert_str_eq(text, "");
	appcore_free(text);
	ck_assert_int_eq(appcore_metrics_add_counter(&m, metrics, "b_total", "multi\nline \\ help",
						     route_label, 1, NULL),
			 APPCORE_OK);
	ck_assert_int_eq(
	    appcore_metrics_add_histogram(&m, metrics, "a_seconds", "h", NULL, 0, one, 1, NULL),
	    APPCORE_OK);
	ck_assert_int_eq(appcore_metrics_render(&text, NULL, metrics, NULL), APPCORE_OK);
	ck_assert_str_eq(text, "# HELP a_seconds h\n"
			       "# TYPE a_seconds histogram\n"
			       "a_seconds_bucket{le=\"1\"} 0\n"
			       "a_seconds_bucket{le=\"+Inf\"} 0\n"
			       "a_seconds_sum 0\n"
			       "a_seconds_count 0\n"
			       "# HELP b_total multi\\nline \\\\ help\n"
			       "# TYPE b_total counter\n");
	appcore_free(text);
	appcore_metrics_free(metrics);
}
END_TEST

#define THREADS 8
#define ITERATIONS 100000

struct worker {
	appcore_metrics_family *counter;
	appcore_metrics_family *histogram;
	appcore_metrics_series *gauge;
	int index;
};

static void *hammer(void *arg)
{
	struct worker *w = arg;
	const char *even[] = { w->index % 2 ? "odd" : "even" };
	appcore_metrics_series *c = NULL, *h = NULL;

	for (int i = 0; i < ITERATIONS; i++) {
		/* look the series up every time: creation races with lookups */
		if (appcore_metrics_get_series(&c, w->counter, even, NULL) != APPCORE_OK ||
		    appcore_metrics_get_series(&h, w->histogram, even, NULL) != APPCORE_OK)
			return (void *)1;
		appcore_metrics_counter_inc(c);
		appcore_metrics_histogram_observe(h, (i % 4) * 0.5); /* 0, 0.5, 1, 1.5 */
		appcore_metrics_gauge_add(w->gauge, 1);
		appcore_metrics_gauge_add(w->gauge, -1);
	}
	return NULL;
}

/* Sample value on the line that starts with prefix. */
static double sample_value(const char *text, const char *prefix)
{
	const char *p = text;

	/* only at the start of a line: HELP and TYPE lines name the metric too */
	while ((p = strstr(p, prefix)) != NULL && p != text && p[-1] != '\n')
		p++;
	ck_assert_msg(p != NULL, "no sample %s", prefix);
	return strtod(p + strlen(prefix), NULL);
}

START_TEST(concurrent_updates_sum_exactly)
{
	appcore_metrics *metrics = NULL;
	struct worker workers[THREADS];
	pthread_t threads[THREADS];
	appcore_metrics_family *counter, *histogram, *gauge;
	appcore_metrics_series *gauge_series;
	const char *const parity[] = { "parity" };
	const double buckets[] = { 0.5, 1 };
	char *text = NULL;

	ck_assert_int_eq(appcore_metrics_new(&metrics, NULL), APPCORE_OK);
	ck_assert_int_eq(
	    appcore_metrics_add_counter(&counter, metrics, "ops_total", "h", parity, 1, NULL), 0);
	ck_assert_int_eq(appcore_metrics_add_histogram(&histogram, metrics, "lat", "h", parity, 1,
						       buckets, 2, NULL),
			 0);
	ck_assert_int_eq(appcore_metrics_add_gauge(&gauge, metrics, "level", "h", NULL, 0, NULL),
			 0);
	ck_assert_int_eq(appcore_metrics_get_series(&gauge_series, gauge, NULL, NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		workers[i] = (struct worker){ counter, histogram, gauge_series, i };
		ck_assert_int_eq(pthread_create(&threads[i], NULL, hammer, &workers[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		void *result;
		pthread_join(threads[i], &result);
		ck_assert_ptr_null(result);
	}
	ck_assert_int_eq(appcore_metrics_render(&text, NULL, metrics, NULL), APPCORE_OK);
	const double per_parity = THREADS / 2.0 * ITERATIONS;
	ck_assert_double_eq(sample_value(text, "ops_total{parity=\"even\"} "), per_parity);
	ck_assert_double_eq(sample_value(text, "ops_total{parity=\"odd\"} "), per_parity);
	ck_assert_double_eq(sample_value(text, "lat_bucket{parity=\"odd\",le=\"0.5\"} "),
			    per_parity / 2);
	ck_assert_double_eq(sample_value(text, "lat_bucket{parity=\"odd\",le=\"1\"} "),
			    per_parity * 3 / 4);
	ck_assert_double_eq(sample_value(text, "lat_bucket{parity=\"even\",le=\"+Inf\"} "),
			    per_parity);
	ck_assert_double_eq(sample_value(text, "lat_count{parity=\"even\"} "), per_parity);
	/* 0.5, 1 and 1.5 are exact in binary, so the sum is exact too */
	ck_assert_double_eq(sample_value(text, "lat_sum{parity=\"even\"} "), per_parity / 4 * 3);
	ck_assert_double_eq(sample_value(text, "level "), 0);
	appcore_free(text);
	appcore_metrics_free(metrics);
}
END_TEST

START_TEST(process_collector_reports_this_process)
{
	appcore_metrics *metrics = NULL;
	appcore_error err = { 0 };
	char *text = NULL;
	struct timespec now;

	ck_assert_int_eq(appcore_metrics_new(&metrics, NULL), APPCORE_OK);
	ck_assert_int_eq(appcore_metrics_add_process_collector(metrics, &err), APPCORE_OK);
	ck_assert_int_eq(appcore_metrics_add_process_collector(metrics, &err), APPCORE_EEXISTS);
	ck_assert_str_eq(err.message, "process_cpu_seconds_total: metric already registered");
	ck_assert_int_eq(appcore_metrics_render(&text, NULL, metrics, NULL), APPCORE_OK);
	ck_assert_ptr_nonnull(strstr(text, "# TYPE process_cpu_seconds_total counter\n"));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE process_open_fds gauge\n"));
	ck_assert(sample_value(text, "process_cpu_seconds_total ") >= 0);
	ck_assert(sample_value(text, "process_resident_memory_bytes ") > 1024 * 1024);
	ck_assert(sample_value(text, "process_virtual_memory_bytes ") >=
		  sample_value(text, "process_resident_memory_bytes "));
	ck_assert(sample_value(text, "process_open_fds ") >= 3);
	ck_assert(sample_value(text, "process_max_fds ") >= sample_value(text, "process_open_fds "));
	clock_gettime(CLOCK_REALTIME, &now);
	double start = sample_value(text, "process_start_time_seconds ");
	ck_assert_msg(start <= (double)now.tv_sec + 1 && start > (double)now.tv_sec - 3600,
		      "start time %f, now %ld", start, (long)now.tv_sec);
	appcore_free(text);
	appcore_metrics_free(metrics);
}
END_TEST




Suite *test_suite(void)
{
	Suite *suite = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, render_is_exact_sorted_and_escaped);
	tcase_add_test(tc, numbers_use_shortest_round_trip_form);
	tcase_add_test(tc, registration_errors);
	tcase_add_test(tc, empty_and_unlabelled_families);
	tcase_add_test(tc, concurrent_updates_sum_exactly);
	tcase_add_test(tc, process_collector_reports_this_process);
	suite_add_tcase(suite, tc);
	return suite;
}
