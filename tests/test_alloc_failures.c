/*
 * Allocation-failure injection, as dav1d fuzzes with failing allocators: every malloc, calloc,
 * realloc and strdup the library makes (and Jansson's, through json_set_alloc_funcs) is
 * counted; each scenario then runs once per allocation with exactly that one failing. Every
 * run must return APPCORE_OK (the allocation was optional, e.g. a fast path falling back) or
 * APPCORE_ENOMEM, leave no allocation behind, and not crash (the ASan build checks the rest).
 *
 * The test is linked with -Wl,--wrap=malloc,... so the library's calls land here.
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <appcore.h>

#include "check_main.h"
#include "core/json_nan.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *ptr, size_t size);
void __real_free(void *ptr);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *ptr, size_t size);
void __wrap_free(void *ptr);
char *__wrap_strdup(const char *text);

/* Live allocations made through the wrappers: an open-addressing set of pointers, so memory
 * other libraries allocated (libfyaml, libc internals) and the library frees is ignored. */
#define LIVE_SLOTS (1u << 20)
static void **live;
static size_t live_count;
static long allocations;  /* allocations attempted since the counter was reset */
static long fail_at = -1; /* the allocation number that fails, -1 for none */
static int inject_jansson; /* whether Jansson's allocations are counted (and can fail) */
static int in_jansson;     /* inside a Jansson allocation */
static int armed;          /* inside a scenario: Check's own allocations never fail */
static int failed;        /* whether the injected failure happened */

static size_t slot_of(const void *ptr)
{
	uintptr_t h = (uintptr_t)ptr;

	h ^= h >> 17;
	h *= 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 7) & (LIVE_SLOTS - 1);
}

static void live_add(void *ptr)
{
	size_t i = slot_of(ptr);

	while (live[i] != NULL && live[i] != (void *)1)
		i = (i + 1) & (LIVE_SLOTS - 1);
	live[i] = ptr;
	live_count++;
}

/* Remove ptr; 0 when it was not ours. Deleted slots become tombstones (1). */
static int live_remove(const void *ptr)
{
	size_t i = slot_of(ptr);

	while (live[i] != NULL) {
		if (live[i] == ptr) {
			live[i] = (void *)1;
			live_count--;
			return 1;
		}
		i = (i + 1) & (LIVE_SLOTS - 1);
	}
	return 0;
}

static int should_fail(void)
{
	if (!armed || (in_jansson && !inject_jansson))
		return 0;
	if (allocations++ == fail_at) {
		failed = 1;
		return 1;
	}
	return 0;
}

void *__wrap_malloc(size_t size)
{
	void *ptr;

	if (live == NULL || should_fail())
		return live == NULL ? __real_malloc(size) : NULL;
	ptr = __real_malloc(size);
	if (ptr != NULL)
		live_add(ptr);
	return ptr;
}

void *__wrap_calloc(size_t n, size_t size)
{
	void *ptr;

	if (live == NULL || should_fail())
		return live == NULL ? __real_calloc(n, size) : NULL;
	ptr = __real_calloc(n, size);
	if (ptr != NULL)
		live_add(ptr);
	return ptr;
}

void *__wrap_realloc(void *old, size_t size)
{
	void *ptr;
	int ours;

	if (live == NULL)
		return __real_realloc(old, size);
	if (should_fail())
		return NULL;
	ours = old != NULL && live_remove(old);
	ptr = __real_realloc(old, size);
	if (ptr != NULL && (ours || old == NULL))
		live_add(ptr);
	else if (ptr == NULL && ours)
		live_add(old);
	return ptr;
}

void __wrap_free(void *ptr)
{
	if (ptr != NULL && live != NULL)
		live_remove(ptr);
	__real_free(ptr);
}

char *__wrap_strdup(const char *text)
{
	size_t len = strlen(text) + 1;
	char *copy = __wrap_malloc(len);

	if (copy != NULL)
		memcpy(copy, text, len);
	return copy;
}

static void *jansson_malloc(size_t size)
{
	void *ptr;

	in_jansson = 1;
	ptr = __wrap_malloc(size);
	in_jansson = 0;
	return ptr;
}

static void jansson_free(void *ptr)
{
	__wrap_free(ptr);
}

#define SOURCE TEST_SOURCE_DIR "/"

typedef int (*scenario_fn)(void);

/* What the last scenario call reported, for failure messages. */
static appcore_error scenario_err;

/* Run fn once without failures to count its allocations, then once per allocation with that
 * one failing.
 *
 * First only the library's own allocations fail: every one must give APPCORE_ENOMEM (or OK
 * where the allocation was optional). Then, for scenarios that do not parse JSON with Jansson,
 * Jansson's allocations (json_pack, json_dumps) fail too. Jansson 2.14's parser is not safe
 * when an allocation fails inside its lexer (akheron/jansson#362, the fix in #364 was never
 * merged: it can assert or crash), so scenarios that parse with it are not given that pass;
 * model files are read without Jansson for that reason among others. */
static void inject_pass(const char *name, scenario_fn fn);

static void inject(const char *name, scenario_fn fn, int parses_with_jansson)
{
	inject_jansson = 0;
	inject_pass(name, fn);
	if (!parses_with_jansson) {
		inject_jansson = 1;
		inject_pass(name, fn);
		inject_jansson = 0;
	}
}

static void inject_pass(const char *name, scenario_fn fn)
{
	long total;
	size_t before;
	int rc;

	fail_at = -1;
	allocations = 0;
	before = live_count;
	armed = 1;
	rc = fn();
	armed = 0;
	ck_assert_msg(rc == APPCORE_OK, "%s: fails without injection: %d", name, rc);
	ck_assert_msg(live_count == before, "%s: leaks %zu allocations without injection", name,
		      live_count - before);
	total = allocations;
	printf("%s: %ld allocations%s\n", name, total,
	       inject_jansson ? ", Jansson's included" : " of the library's own");
	/* each scenario is chosen to allocate in at least one pass */
	if (total == 0)
		return;
	for (long n = 0; n < total; n++) {
		fail_at = n;
		allocations = 0;
		failed = 0;
		armed = 1;
		rc = fn();
		armed = 0;
		ck_assert_msg(rc == APPCORE_OK || rc == APPCORE_ENOMEM,
			      "%s: allocation %ld of %ld failing gives %d (%s: %s), not "
			      "APPCORE_ENOMEM%s", name, n + 1, total, rc, appcore_error_name(rc),
			      scenario_err.message,
			      inject_jansson ? " (Jansson's allocations failing too)" : "");
		ck_assert_msg(live_count == before,
			      "%s: allocation %ld of %ld failing leaks %zu allocations", name, n + 1,
			      total, live_count - before);
	}
	fail_at = -1;
}

static int load(appcore_model **model, const char *file)
{
	appcore_error err;
	char path[512];

	snprintf(path, sizeof(path), SOURCE "%s", file);
	return appcore_model_load_file(model, path, NULL, &err);
}

/* Small models of each kind, cut from the fixtures to their first trees, so each of the
 * thousands of injected runs is quick. Built before injection starts. */
static char *small_models[4];

static json_t *model_part(json_t *doc, const char *member)
{
	json_t *booster = json_object_get(json_object_get(doc, "learner"), "gradient_booster");
	json_t *inner = json_object_get(booster, "gbtree"); /* DART before 3.3 */

	return json_object_get(json_object_get(inner ? inner : booster, "model"), member);
}

static char *cut_model(const char *file, size_t trees)
{
	char path[512];
	json_error_t jerr;
	json_t *doc, *booster;
	char *text;

	snprintf(path, sizeof(path), SOURCE "%s", file);
	{
		/* XGBoost writes NaN for unused categorical conditions: null for Jansson */
		FILE *f = fopen(path, "rb");
		char raw[1 << 16];
		size_t len, fixed_len = 0;
		bool failed_rewrite;
		char *fixed;

		ck_assert_ptr_nonnull(f);
		len = fread(raw, 1, sizeof(raw), f);
		ck_assert_int_eq(feof(f), 1);
		fclose(f);
		fixed = ac_json_rewrite_nan(raw, len, &fixed_len, &failed_rewrite);
		doc = json_loadb(fixed ? fixed : raw, fixed ? fixed_len : len, 0, &jerr);
		free(fixed);
	}
	ck_assert_msg(doc != NULL, "%s: %s", path, jerr.text);
	booster = json_object_get(json_object_get(doc, "learner"), "gradient_booster");
	if (model_part(doc, "trees") != NULL) {
		while (json_array_size(model_part(doc, "trees")) > trees) {
			json_array_remove(model_part(doc, "trees"), trees);
			json_array_remove(model_part(doc, "tree_info"), trees);
		}
		while (json_array_size(json_object_get(booster, "weight_drop")) > trees)
			json_array_remove(json_object_get(booster, "weight_drop"), trees);
	}
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return text;
}

static int load_models(void)
{
	for (size_t i = 0; i < sizeof(small_models) / sizeof(small_models[0]); i++) {
		appcore_model *model = NULL;
		int rc = appcore_model_load_buffer(&model, small_models[i], strlen(small_models[i]),
						   NULL, &scenario_err);

		if (rc != APPCORE_OK)
			return rc;
		appcore_model_unref(model);
	}
	return APPCORE_OK;
}

static appcore_model *iris;

static int predict_requests(void)
{
	static const char *const requests[] = {
		"{\"instances\":[[5.1,3.5,1.4,0.2],[6.2,NaN,4.8,1.8]]}",             /* fast path */
		"{\"instances\":[{\"petal_length\":4.8},[1,2,3,4]],\"output\":\"margin\"}", /* general */
		"{\"instances\":[[1,2]]}",                                          /* EREQUEST */
		"{\"instances\":[[1,2,3,NaN]],\"iteration_range\":[0,5]}",
	};
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		appcore_response response;
		char *body = NULL;
		int rc = appcore_predict_json(&response, iris, requests[i], strlen(requests[i]), NULL,
					      &scenario_err);

		if (rc == APPCORE_ENOMEM)
			return rc;
		if (rc == APPCORE_OK) {
			appcore_response_dispose(&response);
			continue;
		}
		if (rc != APPCORE_EREQUEST)
			return rc;
		rc = appcore_error_json(&body, NULL, &scenario_err);
		if (rc != APPCORE_OK)
			return rc;
		appcore_free(body);
	}
	return APPCORE_OK;
}

static int predict_rows(void)
{
	float row[4] = { 5.1f, 3.5f, 1.4f, NAN }, out[3];
	int rc = appcore_predict_parse_row(row, iris, "{\"sepal_width\":3.5}", 19, &scenario_err);

	if (rc != APPCORE_OK)
		return rc;
	return appcore_predict(out, iris, row, 1, NULL, &scenario_err);
}

static int model_info(void)
{
	static const appcore_model_info details[] = { APPCORE_MODEL_INFO_IDENTITY,
						      APPCORE_MODEL_INFO_SUMMARY,
						      APPCORE_MODEL_INFO_FULL };
	for (size_t i = 0; i < 3; i++) {
		char *text = NULL;
		int rc = appcore_model_info_json(&text, NULL, iris, details[i], NULL);

		if (rc != APPCORE_OK)
			return rc;
		appcore_free(text);
	}
	return APPCORE_OK;
}

static int configuration(void)
{
	static char *const env[] = { "APPCORE_SERVER_PORT=9001",
				     "APPCORE_METRICS_LATENCY_BUCKETS_SECONDS=0.1,1", NULL };
	appcore_config *config = NULL;
	char *text = NULL;
	int rc = appcore_config_new(&config, &scenario_err);

	if (rc == APPCORE_OK)
		rc = appcore_config_load_file(config, SOURCE "configs/config.yaml", &scenario_err);
	if (rc == APPCORE_OK)
		rc = appcore_config_apply_env(config, env, &scenario_err);
	if (rc == APPCORE_OK)
		rc = appcore_config_set(config, "model.name", "renamed", APPCORE_CONFIG_FLAG, &scenario_err);
	if (rc == APPCORE_OK)
		rc = appcore_config_render(&text, NULL, config, APPCORE_CONFIG_YAML, &scenario_err);
	appcore_free(text);
	text = NULL;
	if (rc == APPCORE_OK)
		rc = appcore_config_render(&text, NULL, config, APPCORE_CONFIG_JSON, &scenario_err);
	appcore_free(text);
	appcore_config_free(config);
	return rc;
}

static int metrics(void)
{
	static const char *const labels[] = { "route" };
	static const double buckets[] = { 0.1, 1 };
	const char *value[] = { "/predict" };
	appcore_metrics *registry = NULL;
	appcore_metrics_family *family = NULL;
	appcore_metrics_series *series = NULL;
	char *text = NULL;
	int rc = appcore_metrics_new(&registry, NULL);

	if (rc == APPCORE_OK)
		rc = appcore_metrics_add_histogram(&family, registry, "x_seconds", "h", labels, 1,
						   buckets, 2, NULL);
	if (rc == APPCORE_OK)
		rc = appcore_metrics_get_series(&series, family, value, NULL);
	if (rc == APPCORE_OK) {
		appcore_metrics_histogram_observe(series, 0.5);
		rc = appcore_metrics_add_process_collector(registry, NULL);
	}
	if (rc == APPCORE_OK)
		rc = appcore_metrics_render(&text, NULL, registry, NULL);
	appcore_free(text);
	appcore_metrics_free(registry);
	return rc;
}

static int logging(void)
{
	appcore_logger *logger = NULL;
	char big[5000];
	int rc;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	rc = appcore_logger_new(&logger, STDOUT_FILENO, APPCORE_LOG_ERROR, APPCORE_LOG_JSON, NULL);
	if (rc != APPCORE_OK)
		return rc;
	{
		/* below the level: nothing written; a big field forces the heap buffer path */
		appcore_log_field fields[] = { APPCORE_LOG_STR("big", big) };
		appcore_log(logger, APPCORE_LOG_INFO, "dropped", fields, 1);
	}
	appcore_logger_free(logger);
	return APPCORE_OK;
}

static int error_json(void)
{
	char *text = NULL;
	int rc;

	appcore_error_set(&scenario_err, APPCORE_EREQUEST, "row %d: \xff bad", 3);
	rc = appcore_error_json(&text, NULL, &scenario_err);
	appcore_free(text);
	return rc;
}

START_TEST(every_allocation_failure_is_enomem)
{
	static const struct {
		const char *name;
		scenario_fn fn;
		int parses_with_jansson;
	} scenarios[] = {
		{ "load models", load_models, 1 },     { "predict requests", predict_requests, 1 },
		{ "predict rows", predict_rows, 1 },   { "model info", model_info, 0 },
		{ "configuration", configuration, 0 }, { "metrics", metrics, 0 },
		{ "logging", logging, 0 },             { "error json", error_json, 0 },
	};

	small_models[0] = cut_model("examples/models/iris.json", 6);
	small_models[1] = cut_model("tests/fixtures/models/categorical.json", 2);
	small_models[2] = cut_model("tests/fixtures/models/dart.json", 2);
	small_models[3] = cut_model("tests/fixtures/models/gblinear_softprob.json", 0);
	ck_assert_int_eq(load(&iris, "examples/models/iris.json"), APPCORE_OK);
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		inject(scenarios[i].name, scenarios[i].fn, scenarios[i].parses_with_jansson);
	appcore_model_unref(iris);
	for (size_t i = 0; i < sizeof(small_models) / sizeof(small_models[0]); i++)
		free(small_models[i]);
}
END_TEST

Suite *test_suite(void)
{
	Suite *suite = suite_create("alloc_failures");
	TCase *tc = tcase_create("alloc_failures");

	/* set up before any test runs; the wrappers pass through until `live` exists */
	live = __real_calloc(LIVE_SLOTS, sizeof(*live));
	json_set_alloc_funcs(jansson_malloc, jansson_free);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, every_allocation_failure_is_enomem);
	suite_add_tcase(suite, tc);
	return suite;
}
