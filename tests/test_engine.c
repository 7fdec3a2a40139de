/* The prediction engine: every kernel against the reference walker, bit for bit, on every
 * fixture and on random models and rows; tree ranges; the thread pool. */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appcore.h"
#include "check_main.h"
#include "engine/engine.h"
#include "model/model_internal.h"

#define FIXTURES TEST_SOURCE_DIR "/tests/fixtures/models/"

/* A small deterministic generator (xorshift), so failures reproduce. */
static uint64_t rng_state = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* Split thresholds and row values come from one small set, so rows hit thresholds exactly
 * (x == threshold goes right), plus signed zeros, infinities and uniform noise. */
static float pick_value(void)
{
	static const float values[] = { -2.0f, -1.0f, -0.5f, -0.0f, 0.0f, 0.25f, 0.5f, 1.0f, 3.0f };
	uint32_t r = rnd() % 16;

	if (r < 9)
		return values[r];
	if (r == 9)
		return INFINITY;
	if (r == 10)
		return -INFINITY;
	return (float)((double)rnd() / 4294967296.0 * 8.0 - 4.0);
}

static float *random_rows(size_t n, size_t nf, unsigned missing_percent)
{
	float *rows = malloc(n * nf * sizeof(float) + 1);

	ck_assert_ptr_nonnull(rows);
	for (size_t i = 0; i < n * nf; i++)
		rows[i] = rnd() % 100 < missing_percent ? NAN : pick_value();
	return rows;
}

/* ---- random XGBoost JSON models ---- */

struct tree_gen {
	json_t *left, *right, *feature, *cond, *dleft;
	size_t num_features;
	unsigned max_depth, leaf_percent;
};

/* Append node `id` and its subtree (ids in depth-first order, unlike XGBoost's own). */
static int gen_node(struct tree_gen *g, unsigned depth)
{
	const int id = (int)json_array_size(g->left);
	const int leaf = depth == g->max_depth || (depth > 0 && rnd() % 100 < g->leaf_percent);
	float split = pick_value();

	json_array_append_new(g->left, json_integer(-1));
	json_array_append_new(g->right, json_integer(-1));
	json_array_append_new(g->feature, json_integer(leaf ? 0 : (json_int_t)(rnd() % g->num_features)));
	while (!isfinite(split))
		split = pick_value();
	json_array_append_new(g->cond, json_real(leaf ? (double)((int)(rnd() % 2001) - 1000) / 256.0
						      : (double)split));
	json_array_append_new(g->dleft, json_integer(rnd() % 2));
	if (!leaf) {
		int l = gen_node(g, depth + 1);
		int r = gen_node(g, depth + 1);

		json_array_set_new(g->left, (size_t)id, json_integer(l));
		json_array_set_new(g->right, (size_t)id, json_integer(r));
	}
	return id;
}

/* A gbtree model: num_trees trees of depth up to max_depth (the first one exactly), groups
 * output groups (multi:softprob when more than 1). */
static appcore_model *random_model(size_t num_trees, unsigned max_depth, unsigned leaf_percent,
				   size_t num_features, size_t groups)
{
	json_t *trees = json_array(), *info = json_array(), *doc;
	appcore_model *model = NULL;
	appcore_error err = { 0 };
	char num_feature[32], num_class[32];
	char *text;

	for (size_t t = 0; t < num_trees; t++) {
		struct tree_gen g = { json_array(), json_array(), json_array(), json_array(),
				      json_array(), num_features, max_depth,
				      t == 0 ? 0 : leaf_percent };

		gen_node(&g, 0);
		json_array_append_new(trees, json_pack("{s:o,s:o,s:o,s:o,s:o}", "left_children", g.left,
						       "right_children", g.right, "split_indices",
						       g.feature, "split_conditions", g.cond,
						       "default_left", g.dleft));
		json_array_append_new(info, json_integer((json_int_t)(t % groups)));
	}
	snprintf(num_feature, sizeof(num_feature), "%zu", num_features);
	snprintf(num_class, sizeof(num_class), "%zu", groups > 1 ? groups : 0);
	doc = json_pack("{s:{s:{s:s,s:{s:{s:s},s:o,s:o}},s:{s:s,s:s,s:s},s:{s:s}}}", "learner",
			"gradient_booster", "name", "gbtree", "model", "gbtree_model_param",
			"num_parallel_tree", "1", "tree_info", info, "trees", trees,
			"learner_model_param", "base_score", "5E-1", "num_feature", num_feature,
			"num_class", num_class, "objective", "name",
			groups > 1 ? "multi:softprob" : "binary:logistic");
	ck_assert_ptr_nonnull(doc);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	ck_assert_msg(appcore_model_load_buffer(&model, text, strlen(text), NULL, &err) == APPCORE_OK, "%s",
		      err.message);
	free(text);
	return model;
}

/* ---- comparing kernels ---- */

/* Every usable kernel and the model's own choice give the reference's exact bits, for margins
 * and values, batch and row by row, with and without a pool, on trees [begin, end). */
static void assert_kernels_agree(const appcore_model *m, const float *rows, size_t n,
				 size_t begin, size_t end, appcore_pool *pool, const char *what)
{
	const size_t width = appcore_model_output_size(m, APPCORE_OUTPUT_MARGIN);
	const size_t vwidth = appcore_model_output_size(m, APPCORE_OUTPUT_VALUE);
	const size_t size = n * (width > vwidth ? width : vwidth) * sizeof(float) + 1;
	float *want = malloc(size), *want_value = malloc(size), *got = malloc(size);
	appcore_error err = { 0 };

	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(want_value);
	ck_assert_ptr_nonnull(got);
	ck_assert_int_eq(ac_engine_predict_kernel(m, rows, n, APPCORE_OUTPUT_MARGIN, begin, end, NULL,
						  AC_KERNEL_REFERENCE, want, &err), APPCORE_OK);
	ck_assert_int_eq(ac_engine_predict_kernel(m, rows, n, APPCORE_OUTPUT_VALUE, begin, end, NULL,
						  AC_KERNEL_REFERENCE, want_value, &err), APPCORE_OK);
	/* the batch loop itself (blocks, slices) against the reference walker called
	 * once over every row: each row's trees added in tree order */
	if (m->booster != AC_BOOSTER_GBLINEAR && m->leaf_size == 0 && begin <= end) {
		const size_t stop = end < m->num_trees ? end : m->num_trees;

		for (size_t r = 0; r < n; r++)
			memcpy(got + r * width, m->base_margin, width * sizeof(float));
		if (begin < stop)
			ac_engine_reference_margins(m, rows, n, begin, stop, got);
		for (size_t i = 0; i < n * width; i++)
			ck_assert_msg(memcmp(&got[i], &want[i], sizeof(float)) == 0,
				      "%s, trees [%zu, %zu): margin[%zu] = %.9g, walker %.9g", what,
				      begin, end, i, (double)want[i], (double)got[i]);
	}
	for (ac_kernel k = 0; k < AC_KERNEL_COUNT; k++) {
		if (!ac_kernel_usable(m, k))
			continue;
		memset(got, 0xff, size);
		ck_assert_int_eq(ac_engine_predict_kernel(m, rows, n, APPCORE_OUTPUT_MARGIN, begin, end,
							  pool, k, got, &err), APPCORE_OK);
		for (size_t i = 0; i < n * width; i++)
			ck_assert_msg(memcmp(&got[i], &want[i], sizeof(float)) == 0,
				      "%s, kernel %s, trees [%zu, %zu): margin[%zu] = %.9g, reference "
				      "%.9g", what, ac_kernel_name(k), begin, end, i, (double)got[i],
				      (double)want[i]);
		ck_assert_int_eq(ac_engine_predict_kernel(m, rows, n, APPCORE_OUTPUT_VALUE, begin, end,
							  pool, k, got, &err), APPCORE_OK);
		ck_assert_msg(memcmp(got, want_value, n * vwidth * sizeof(float)) == 0,
			      "%s, kernel %s: values differ from the reference", what,
			      ac_kernel_name(k));
		/* one row per call: the single-row paths */
		for (size_t r = 0; r < n && r < 40; r++) {
			ck_assert_int_eq(ac_engine_predict_kernel(m, rows + r * m->num_features, 1,
								  APPCORE_OUTPUT_MARGIN, begin, end,
								  NULL, k, got, &err), APPCORE_OK);
			ck_assert_msg(memcmp(got, want + r * width, width * sizeof(float)) == 0,
				      "%s, kernel %s: row %zu alone differs", what, ac_kernel_name(k),
				      r);
		}
	}
	/* the public call uses the model's own kernel */
	ck_assert_int_eq(appcore_predict(got, m, rows, n, NULL, &err),
			 APPCORE_OK);
	if (begin == 0 && end >= m->num_trees)
		ck_assert_msg(memcmp(got, want_value, n * vwidth * sizeof(float)) == 0,
			      "%s: appcore_predict differs from the reference", what);
	free(got);
	free(want_value);
	free(want);
}

static void assert_all_ranges(const appcore_model *m, const float *rows, size_t n,
			      appcore_pool *pool, const char *what)
{
	const size_t t = m->num_trees;

	assert_kernels_agree(m, rows, n, 0, SIZE_MAX, pool, what);
	assert_kernels_agree(m, rows, n, 0, 0, NULL, what);
	assert_kernels_agree(m, rows, n, t / 3, t - t / 4, NULL, what);
	assert_kernels_agree(m, rows, n, t, t, NULL, what);
}

/* ---- fixtures ---- */

static float *case_rows(const char *model_path, size_t nf, size_t *count)
{
	char path[1024];
	json_error_t jerr;
	json_t *cases, *rows;
	float *out;
	size_t n = strlen(model_path);

	snprintf(path, sizeof(path), "%.*s.cases.json", (int)(n - 5), model_path);
	cases = json_load_file(path, 0, &jerr);
	if (cases == NULL) {
		*count = 0;
		return NULL;
	}
	rows = json_object_get(cases, "rows");
	*count = json_array_size(rows);
	out = malloc(*count * nf * sizeof(float) + 1);
	ck_assert_ptr_nonnull(out);
	for (size_t r = 0; r < *count; r++)
		for (size_t f = 0; f < nf; f++) {
			json_t *v = json_array_get(json_array_get(rows, r), f);

			out[r * nf + f] = json_is_number(v) ? (float)json_number_value(v) : NAN;
		}
	json_decref(cases);
	return out;
}

START_TEST(test_fixtures_every_kernel)
{
	DIR *dir = opendir(FIXTURES);
	struct dirent *e;
	appcore_pool *pool = NULL;
	size_t models = 0, heap_models = 0;

	ck_assert_ptr_nonnull(dir);
	ck_assert_int_eq(appcore_pool_new(&pool, 3, NULL), APPCORE_OK);
	while ((e = readdir(dir)) != NULL) {
		size_t len = strlen(e->d_name), nf, ncases;
		char path[1024];
		appcore_model *m = NULL;
		appcore_error err = { 0 };
		float *rows, *more;

		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 ||
		    strstr(e->d_name, ".cases.") != NULL)
			continue;
		snprintf(path, sizeof(path), "%s%s", FIXTURES, e->d_name);
		ck_assert_msg(appcore_model_load_file(&m, path, NULL, &err) == APPCORE_OK, "%s", err.message);
		nf = m->num_features;
		rows = case_rows(path, nf, &ncases);
		/* the cases, then random rows over the same features: 300 rows reach every
		 * batch path (blocks, vectors, tails) */
		more = random_rows(300, nf, 15);
		if (rows != NULL)
			assert_all_ranges(m, rows, ncases, pool, e->d_name);
		assert_all_ranges(m, more, 300, pool, e->d_name);
		/* a model with categorical splits keeps the reference walker; others get a layout */
		if (m->has_categorical)
			ck_assert_int_eq(m->kernel, AC_KERNEL_REFERENCE);
		heap_models += m->layout != NULL;
		models++;
		free(more);
		free(rows);
		appcore_model_unref(m);
	}
	closedir(dir);
	appcore_pool_free(pool);
	ck_assert_uint_ge(models, 20);
	ck_assert_uint_ge(heap_models, 15);
}
END_TEST

/* ---- random models of every shape the layouts handle differently ---- */

static const struct shape {
	size_t trees;
	unsigned depth, leaf_percent;
	size_t features, groups;
} shapes[] = {
	{ 1, 0, 0, 3, 1 },     /* a single leaf */
	{ 7, 1, 0, 2, 1 },     /* stumps */
	{ 37, 3, 30, 5, 1 },   /* unbalanced, trees not a multiple of 8 or 16 */
	{ 50, 4, 10, 30, 1 },
	{ 33, 5, 20, 12, 3 },  /* 32-entry levels, three groups */
	{ 40, 6, 25, 50, 1 },  /* gathered levels */
	{ 48, 5, 20, 60, 1 },  /* one row: tree lanes, features beyond 32 */
	{ 21, 8, 35, 100, 4 },
	{ 9, 12, 60, 20, 1 },  /* the deepest the heap layout takes, sparse */
	{ 5, 14, 70, 8, 1 },   /* too deep: no heap layout */
	{ 3, 2, 0, 2000, 2 },  /* wide rows */
	{ 150, 5, 20, 12, 2 }, /* more trees than a lane group, rows beyond a stack of margins */
	/* one row, lane groups walked together (kernel_x86.c's walk512): */
	{ 66, 4, 15, 40, 1 },  /* a run of 4 groups, then a 2-tree partial group alone */
	{ 35, 2, 0, 70, 2 },   /* 3 groups with a partial one, row values gathered */
	{ 100, 6, 30, 20, 1 }, /* deeper than the unrolled walks, 4-tree partial group */
	{ 17, 3, 40, 9, 1 },   /* a group and one tree */
};

START_TEST(test_random_models)
{
	const struct shape *s = &shapes[_i];
	appcore_model *m;
	appcore_pool *pool = NULL;
	char what[64];
	float *rows;

	rng_state = 88172645463325252ull + (uint64_t)_i;
	m = random_model(s->trees, s->depth, s->leaf_percent, s->features, s->groups);
	ck_assert_int_eq(appcore_pool_new(&pool, 2, NULL), APPCORE_OK);
	/* beyond 2048 rows: several blocks and pool slices */
	const size_t n = s->trees > 64 ? 2600 : 517;

	rows = random_rows(n, s->features, 20);
	snprintf(what, sizeof(what), "random model %d", _i);
	assert_all_ranges(m, rows, n, pool, what);
	if (s->depth <= AC_HEAP_MAX_DEPTH && s->trees > 1)
		ck_assert_ptr_nonnull(m->layout);
	if (s->depth > AC_HEAP_MAX_DEPTH)
		ck_assert_ptr_null(m->layout);
	ck_assert_int_ne(m->kernel, AC_KERNEL_REFERENCE);
	free(rows);
	appcore_pool_free(pool);
	appcore_model_unref(m);
}
END_TEST

/* ---- arguments and ranges ---- */

START_TEST(test_tree_range_arguments)
{
	appcore_model *m;
	appcore_error err = { 0 };
	float rows[4] = { 0.5f, 1.0f, NAN, -1.0f }, out[2], base[2];

	rng_state = 7;
	m = random_model(10, 3, 0, 2, 1);
	/* an empty range leaves the base margin */
	ck_assert_int_eq(ac_engine_predict(m, rows, 2, APPCORE_OUTPUT_MARGIN, 4, 4, NULL, base, &err),
			 APPCORE_OK);
	ck_assert(base[0] == m->base_margin[0] && base[1] == m->base_margin[0]);
	/* tree_end past the last tree means all of them */
	ck_assert_int_eq(ac_engine_predict(m, rows, 2, APPCORE_OUTPUT_MARGIN, 0, 1000, NULL, out,
					   &err), APPCORE_OK);
	ck_assert_int_eq(ac_engine_predict(m, rows, 2, APPCORE_OUTPUT_MARGIN, 0, 10, NULL, base, &err),
			 APPCORE_OK);
	ck_assert(memcmp(out, base, sizeof(out)) == 0);
	ck_assert_int_eq(ac_engine_predict(m, rows, 2, APPCORE_OUTPUT_MARGIN, 5, 4, NULL, out, &err),
			 APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "predict: tree range [5, 4) is empty or past the 10 trees");
	ck_assert_int_eq(ac_engine_predict(m, rows, 2, APPCORE_OUTPUT_MARGIN, 11, SIZE_MAX, NULL, out,
					   &err), APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "predict: tree range [11, 10) is empty or past the 10 trees");
	ck_assert_int_eq(ac_engine_predict(m, NULL, 2, APPCORE_OUTPUT_MARGIN, 0, 1, NULL, out, &err),
			 APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "predict: NULL argument");
	ck_assert_int_eq(ac_engine_predict(m, rows, 1, (appcore_output_kind)9, 0, 1, NULL, out, &err),
			 APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "predict: unknown output kind 9");
	ck_assert_int_eq(ac_engine_predict(m, NULL, 0, APPCORE_OUTPUT_MARGIN, 0, 1, NULL, out, &err),
			 APPCORE_OK);
	appcore_model_unref(m);
}
END_TEST

START_TEST(test_kernel_not_usable)
{
	appcore_model *m;
	appcore_error err = { 0 };
	float row[8] = { 0 }, out[1];

	rng_state = 11;
	m = random_model(3, 14, 80, 8, 1); /* too deep for the heap layout */
	ck_assert_int_eq(ac_engine_predict_kernel(m, row, 1, APPCORE_OUTPUT_MARGIN, 0, SIZE_MAX, NULL,
						  AC_KERNEL_HEAP, out, &err), APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "predict: kernel heap cannot score this model here");
	appcore_model_unref(m);
}
END_TEST

/* ---- the pool ---- */

START_TEST(test_pool_api)
{
	appcore_pool *pool = (appcore_pool *)&pool;
	appcore_error err = { 0 };

	ck_assert_int_eq(appcore_pool_new(NULL, 2, &err), APPCORE_EINVAL);
	ck_assert_str_eq(err.message, "appcore_pool_new: NULL argument");
	ck_assert_int_eq(appcore_pool_new(&pool, 1025, &err), APPCORE_EINVAL);
	ck_assert_ptr_null(pool);
	ck_assert_str_eq(err.message, "appcore_pool_new: 1025 threads; at most 1024");
	ck_assert_int_eq(appcore_pool_new(&pool, 0, &err), APPCORE_OK);
	ck_assert_uint_ge(appcore_pool_num_threads(pool), 1);
	appcore_pool_free(pool);
	ck_assert_int_eq(appcore_pool_new(&pool, 1, &err), APPCORE_OK);
	ck_assert_uint_eq(appcore_pool_num_threads(pool), 1);
	appcore_pool_free(pool);
	ck_assert_uint_eq(appcore_pool_num_threads(NULL), 1);
	appcore_pool_free(NULL);
}
END_TEST

/* 1..6 threads give the one-thread bits, in row order, on a batch big enough to be split. */
START_TEST(test_pool_threads_match_one_thread)
{
	const size_t n = 20000;
	appcore_model *m;
	appcore_error err = { 0 };
	float *rows, *want, *got;

	rng_state = 99;
	m = random_model(60, 6, 20, 16, 1);
	rows = random_rows(n, 16, 10);
	want = malloc(n * sizeof(float));
	got = malloc(n * sizeof(float));
	ck_assert_int_eq(ac_engine_predict(m, rows, n, APPCORE_OUTPUT_VALUE, 0, SIZE_MAX, NULL, want,
					   &err), APPCORE_OK);
	for (size_t threads = 1; threads <= 6; threads++) {
		appcore_pool *pool = NULL;

		ck_assert_int_eq(appcore_pool_new(&pool, threads, &err), APPCORE_OK);
		for (int rep = 0; rep < 3; rep++) {
			memset(got, 0, n * sizeof(float));
			ck_assert_int_eq(ac_engine_predict(m, rows, n, APPCORE_OUTPUT_VALUE, 0, SIZE_MAX,
							   pool, got, &err), APPCORE_OK);
			ck_assert_msg(memcmp(got, want, n * sizeof(float)) == 0,
				      "%zu threads differ from one", threads);
		}
		appcore_pool_free(pool);
	}
	free(got);
	free(want);
	free(rows);
	appcore_model_unref(m);
}
END_TEST

/* Several callers share one pool at once: one gets the workers, the others run alone; all get
 * the right answer (and ThreadSanitizer sees no race). */
struct shared_call {
	const appcore_model *m;
	appcore_pool *pool;
	const float *rows;
	const float *want;
	size_t n;
	int ok;
};

static void *shared_caller(void *arg)
{
	struct shared_call *c = arg;
	float *got = malloc(c->n * sizeof(float));

	c->ok = got != NULL;
	for (int rep = 0; rep < 5 && c->ok; rep++)
		c->ok = ac_engine_predict(c->m, c->rows, c->n, APPCORE_OUTPUT_VALUE, 0, SIZE_MAX,
					  c->pool, got, NULL) == APPCORE_OK &&
			memcmp(got, c->want, c->n * sizeof(float)) == 0;
	free(got);
	return NULL;
}

START_TEST(test_pool_shared_by_threads)
{
	const size_t n = 8000;
	appcore_model *m;
	appcore_pool *pool = NULL;
	float *rows, *want;
	pthread_t threads[4];
	struct shared_call calls[4];

	rng_state = 5;
	m = random_model(80, 5, 10, 10, 1);
	rows = random_rows(n, 10, 10);
	want = malloc(n * sizeof(float));
	ck_assert_int_eq(ac_engine_predict(m, rows, n, APPCORE_OUTPUT_VALUE, 0, SIZE_MAX, NULL, want,
					   NULL), APPCORE_OK);
	ck_assert_int_eq(appcore_pool_new(&pool, 2, NULL), APPCORE_OK);
	for (int i = 0; i < 4; i++) {
		calls[i] = (struct shared_call){ m, pool, rows, want, n, 0 };
		ck_assert_int_eq(pthread_create(&threads[i], NULL, shared_caller, &calls[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(threads[i], NULL);
		ck_assert_msg(calls[i].ok, "caller %d got a wrong answer", i);
	}
	appcore_pool_free(pool);
	free(want);
	free(rows);
	appcore_model_unref(m);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("kernels");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fixtures_every_kernel);
	tcase_add_loop_test(tc, test_random_models, 0, (int)(sizeof(shapes) / sizeof(shapes[0])));
	tcase_add_test(tc, test_tree_range_arguments);
	tcase_add_test(tc, test_kernel_not_usable);
	suite_add_tcase(s, tc);
	tc = tcase_create("pool");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_pool_api);
	tcase_add_test(tc, test_pool_threads_match_one_thread);
	tcase_add_test(tc, test_pool_shared_by_threads);
	suite_add_tcase(s, tc);
	return s;
}
