/* appcore's engine against XGBoost's C API on one model, in alternating rounds in one process.
 *
 *   bench_engine DIR NAME [--rounds R] [--seconds S] [--threads N] [--kernel K] [--clock cpu|wall]
 *
 * DIR holds what make_models.py writes (NAME.json, NAME.rows.f32, NAME.value.f32,
 * NAME.margin.f32, manifest.json). Before anything is timed, every output is checked on all
 * rows: appcore's value and margin against XGBoost's (the files), within the project's
 * tolerances (1e-6 absolute for probabilities, 1e-5 relative otherwise), and XGBoost's C API
 * against the files. Then each round measures, in this order:
 *   appcore batch, 1 thread      one ac_engine_predict call over all rows (no pool)
 *   appcore threads speedup      the same, wall time, without and with a pool of N threads
 *                                (--threads, default: CPUs)
 *   appcore single row           appcore_predict on one row, row after row
 *   xgboost batch, 1 thread      XGBoosterPredictFromDense, nthread=1, all rows
 *   xgboost single row           XGBoosterPredictFromDense on one row
 * Each measurement repeats its call until S seconds (default 0.3) have passed. Prints one JSON
 * object per round on stdout (rows/s for batches, ns per call for single rows), then a summary.
 * Without libxgboost-dev the xgboost figures are absent. --kernel (reference, lockstep, heap,
 * heap-avx2, heap-avx512) times that kernel instead of the one chosen at load (A/B runs). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <appcore.h>

#include "engine/engine.h"
#include "model/model_internal.h"

#ifdef HAVE_XGBOOST
#include <xgboost/c_api.h>
#endif

/* The clock of single-thread figures: this thread's CPU time by default, which a machine
 * shared with other work does not inflate (they take turns on the cores); wall time with
 * --clock wall. Thread speedups are always wall time. */
static clockid_t single_clock = CLOCK_THREAD_CPUTIME_ID;

static double clock_now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void)
{
	return clock_now(single_clock);
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench_engine: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

static float *read_floats(const char *dir, const char *name, const char *suffix, size_t count)
{
	char path[4096];
	FILE *f;
	float *data = malloc(count * sizeof(float) + 1);

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix);
	f = fopen(path, "rb");
	if (f == NULL || data == NULL || fread(data, sizeof(float), count, f) != count)
		die("cannot read", path);
	fclose(f);
	return data;
}

/* The project's tolerances (tests/test_model.c). */
static int close_enough(float got, float want, int probability)
{
	double diff = fabs((double)got - (double)want);

	if (isnan(want))
		return isnan(got);
	return probability ? diff <= 1e-6 : diff <= 1e-5 * fabs((double)want) + 1e-30;
}

static void check(const char *what, const float *got, const float *want, size_t count,
		  int probability)
{
	size_t bad = 0, first = 0;
	double worst = 0;

	for (size_t i = 0; i < count; i++) {
		double diff = fabs((double)got[i] - (double)want[i]);

		if (diff > worst)
			worst = diff;
		if (!close_enough(got[i], want[i], probability) && bad++ == 0)
			first = i;
	}
	fprintf(stderr, "check %-24s %zu values, max |diff| %.3g, %zu outside tolerance\n", what,
		count, worst, bad);
	if (bad) {
		fprintf(stderr, "  first at %zu: got %.9g want %.9g\n", first, (double)got[first],
			(double)want[first]);
		exit(1);
	}
}

/* Internal nodes a row passes on its way to the leaf, summed over trees, averaged over rows:
 * the work every scorer must do at least, for the ns-per-node figure. */
static double visits_per_row(const appcore_model *m, const float *rows, size_t n)
{
	double total = 0;

	for (size_t r = 0; r < n; r++) {
		const float *row = rows + r * m->num_features;

		for (size_t t = 0; t < m->num_trees; t++) {
			const ac_node *node = &m->nodes[m->tree_roots[t]];

			while (!(node->info & AC_NODE_LEAF)) {
				float x = row[node->info & AC_NODE_FEATURE_MASK];
				int right = isnan(x) ? !(node->info & AC_NODE_DEFAULT_LEFT)
						     : !(x < node->v.split);

				node = &m->nodes[node->left + (uint32_t)right];
				total += 1;
			}
		}
	}
	return n ? total / (double)n : 0;
}

struct ctx {
	appcore_model *model;
	appcore_pool *pool;
	float *rows;
	size_t num_rows, nf, width;
	ac_kernel kernel;
	float *out;
	double seconds;
#ifdef HAVE_XGBOOST
	BoosterHandle booster;
	char config[256];
	char (*row_arrays)[160]; /* __array_interface__ of single rows, made before timing */
	size_t num_row_arrays;
#endif
};

static void appcore_batch(struct ctx *c, appcore_pool *pool)
{
	appcore_error err = { 0 };

	if (ac_engine_predict_kernel(c->model, c->rows, c->num_rows, APPCORE_OUTPUT_VALUE, 0,
				     SIZE_MAX, pool, c->kernel, c->out, &err) != APPCORE_OK)
		die("ac_engine_predict", err.message);
}

/* Rows per second of repeated batch calls on the given clock. */
static double rate_batch_on(struct ctx *c, appcore_pool *pool, clockid_t id)
{
	double start = clock_now(id), elapsed;
	size_t calls = 0;

	do {
		appcore_batch(c, pool);
		calls++;
	} while ((elapsed = clock_now(id) - start) < c->seconds);
	return (double)(calls * c->num_rows) / elapsed;
}

static double rate_batch(struct ctx *c, appcore_pool *pool)
{
	return rate_batch_on(c, pool, single_clock);
}

static double ns_single_appcore(struct ctx *c)
{
	appcore_error err = { 0 };
	double start = now(), elapsed;
	size_t calls = 0;

	do {
		for (size_t k = 0; k < 1000; k++, calls++) {
			size_t r = calls % c->num_rows;

			if (appcore_predict(c->out + r * c->width, c->model, c->rows + r * c->nf, 1,
					    NULL, &err) != APPCORE_OK)
				die("appcore_predict", err.message);
		}
	} while ((elapsed = now() - start) < c->seconds);
	return elapsed * 1e9 / (double)calls;
}

/* Single rows through a forced kernel (--kernel): the internal call, no public wrapper. */
static double ns_single_kernel(struct ctx *c)
{
	appcore_error err = { 0 };
	double start = now(), elapsed;
	size_t calls = 0;

	do {
		for (size_t k = 0; k < 1000; k++, calls++) {
			size_t r = calls % c->num_rows;

			if (ac_engine_predict_kernel(c->model, c->rows + r * c->nf, 1,
						     APPCORE_OUTPUT_VALUE, 0, SIZE_MAX, NULL, c->kernel,
						     c->out + r * c->width, &err) != APPCORE_OK)
				die("ac_engine_predict_kernel", err.message);
		}
	} while ((elapsed = now() - start) < c->seconds);
	return elapsed * 1e9 / (double)calls;
}

#ifdef HAVE_XGBOOST
static void xgb_check(int rc)
{
	if (rc != 0)
		die("xgboost", XGBGetLastError());
}

static const float *xgb_predict(struct ctx *c, const char *array, bst_ulong *count)
{
	const bst_ulong *shape;
	bst_ulong dim;
	const float *result;

	xgb_check(XGBoosterPredictFromDense(c->booster, array, c->config, NULL, &shape, &dim,
					    &result));
	*count = 1;
	for (bst_ulong i = 0; i < dim; i++)
		*count *= shape[i];
	return result;
}

static void array_interface(char *buf, size_t size, const float *data, size_t rows, size_t cols)
{
	snprintf(buf, size,
		 "{\"data\": [%llu, true], \"shape\": [%zu, %zu], \"typestr\": \"<f4\", "
		 "\"version\": 3}",
		 (unsigned long long)(uintptr_t)data, rows, cols);
}

static double rate_xgb_batch(struct ctx *c, float *copy_to)
{
	char array[256];
	double start = now(), elapsed;
	size_t calls = 0;
	bst_ulong count;

	array_interface(array, sizeof(array), c->rows, c->num_rows, c->nf);
	do {
		const float *result = xgb_predict(c, array, &count);

		if (copy_to != NULL && calls == 0)
			memcpy(copy_to, result, count * sizeof(float));
		calls++;
	} while ((elapsed = now() - start) < c->seconds);
	return (double)(calls * c->num_rows) / elapsed;
}

static double ns_single_xgb(struct ctx *c)
{
	double start = now(), elapsed;
	size_t calls = 0;
	bst_ulong count;
	volatile float sink = 0;

	do {
		for (size_t k = 0; k < 100; k++, calls++)
			sink += xgb_predict(c, c->row_arrays[calls % c->num_row_arrays], &count)[0];
	} while ((elapsed = now() - start) < c->seconds);
	(void)sink;
	return elapsed * 1e9 / (double)calls;
}
#endif

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	appcore_error err = { 0 };
	const char *dir, *name, *kernel_name = NULL;
	char path[4096];
	unsigned rounds = 3;
	size_t threads = 0, value_width, margin_width;
	int probability;
	float *want_value, *want_margin, *margin;
	double visits;
	FILE *manifest;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_engine DIR NAME [--rounds R] [--seconds S] [--threads N]\n");
		return 2;
	}
	dir = argv[1];
	name = argv[2];
	c.seconds = 0.3;
	for (int i = 3; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--rounds") == 0)
			rounds = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--seconds") == 0)
			c.seconds = strtod(argv[i + 1], NULL);
		else if (strcmp(argv[i], "--threads") == 0)
			threads = strtoul(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--clock") == 0)
			single_clock = strcmp(argv[i + 1], "wall") == 0 ? CLOCK_MONOTONIC
									 : CLOCK_THREAD_CPUTIME_ID;
		else if (strcmp(argv[i], "--kernel") == 0)
			kernel_name = argv[i + 1];
		else
			die("unknown option", argv[i]);
	}
	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	if (appcore_model_load_file(&c.model, path, NULL, &err) != APPCORE_OK)
		die("load", err.message);
	c.kernel = c.model->kernel;
	if (kernel_name != NULL) {
		for (c.kernel = 0; c.kernel < AC_KERNEL_COUNT; c.kernel++)
			if (strcmp(ac_kernel_name(c.kernel), kernel_name) == 0)
				break;
		if (c.kernel == AC_KERNEL_COUNT || !ac_kernel_usable(c.model, c.kernel))
			die("kernel unknown or not usable here", kernel_name);
	}
	if (appcore_pool_new(&c.pool, threads, &err) != APPCORE_OK)
		die("pool", err.message);
	c.nf = appcore_model_num_features(c.model);
	value_width = appcore_model_output_size(c.model, APPCORE_OUTPUT_VALUE);
	margin_width = appcore_model_output_size(c.model, APPCORE_OUTPUT_MARGIN);
	c.width = value_width;
	/* num_rows from the file size of the rows */
	snprintf(path, sizeof(path), "%s/%s.rows.f32", dir, name);
	manifest = fopen(path, "rb");
	if (manifest == NULL || fseek(manifest, 0, SEEK_END) != 0)
		die("cannot open", path);
	c.num_rows = (size_t)ftell(manifest) / sizeof(float) / c.nf;
	fclose(manifest);
	c.rows = read_floats(dir, name, ".rows.f32", c.num_rows * c.nf);
	want_value = read_floats(dir, name, ".value.f32", c.num_rows * value_width);
	want_margin = read_floats(dir, name, ".margin.f32", c.num_rows * margin_width);
	c.out = malloc(c.num_rows * (margin_width > value_width ? margin_width : value_width) *
		       sizeof(float));
	margin = malloc(c.num_rows * margin_width * sizeof(float));
	probability = strstr(appcore_model_objective(c.model), "logistic") != NULL ||
		      strstr(appcore_model_objective(c.model), "softprob") != NULL;

	/* Correctness on every row before anything counts. */
	appcore_batch(&c, NULL);
	check("appcore value", c.out, want_value, c.num_rows * value_width, probability);
	if (ac_engine_predict_kernel(c.model, c.rows, c.num_rows, APPCORE_OUTPUT_MARGIN, 0, SIZE_MAX,
				     NULL, c.kernel, margin, &err) != APPCORE_OK)
		die("ac_engine_predict", err.message);
	check("appcore margin", margin, want_margin, c.num_rows * margin_width, 0);
	appcore_batch(&c, c.pool);
	check("appcore value, threads", c.out, want_value, c.num_rows * value_width, probability);
	for (size_t r = 0; r < c.num_rows; r++)
		if (ac_engine_predict_kernel(c.model, c.rows + r * c.nf, 1, APPCORE_OUTPUT_VALUE, 0,
					     SIZE_MAX, NULL, c.kernel, c.out + r * value_width,
					     &err) != APPCORE_OK)
			die("ac_engine_predict_kernel", err.message);
	check("appcore value, 1 row", c.out, want_value, c.num_rows * value_width, probability);
	visits = visits_per_row(c.model, c.rows, c.num_rows);

#ifdef HAVE_XGBOOST
	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	xgb_check(XGBoosterCreate(NULL, 0, &c.booster));
	xgb_check(XGBoosterLoadModel(c.booster, path));
	xgb_check(XGBoosterSetParam(c.booster, "nthread", "1"));
	snprintf(c.config, sizeof(c.config),
		 "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
		 "\"iteration_end\": 0, \"strict_shape\": false, \"missing\": NaN, "
		 "\"cache_id\": 0}");
	c.num_row_arrays = c.num_rows < 4096 ? c.num_rows : 4096;
	c.row_arrays = malloc(c.num_row_arrays * sizeof(*c.row_arrays));
	for (size_t r = 0; r < c.num_row_arrays; r++)
		array_interface(c.row_arrays[r], sizeof(c.row_arrays[r]), c.rows + r * c.nf, 1, c.nf);
	{
		double saved = c.seconds;

		c.seconds = 0;
		rate_xgb_batch(&c, c.out);
		c.seconds = saved;
		check("xgboost C API value", c.out, want_value, c.num_rows * value_width, probability);
	}
#endif

	printf("{\"model\": \"%s\", \"rows\": %zu, \"trees\": %zu, \"visits_per_row\": %.3f, "
	       "\"threads\": %zu, \"kernel\": \"%s\"}\n",
	       name, c.num_rows, appcore_model_num_trees(c.model), visits,
	       appcore_pool_num_threads(c.pool), ac_kernel_name(c.kernel));
	for (unsigned round = 0; round < rounds; round++) {
		double batch1 = rate_batch(&c, NULL);
		double wall1 = rate_batch_on(&c, NULL, CLOCK_MONOTONIC);
		double walln = rate_batch_on(&c, c.pool, CLOCK_MONOTONIC);
		double single = kernel_name ? ns_single_kernel(&c) : ns_single_appcore(&c);

		printf("{\"round\": %u, \"appcore_batch_1t\": %.0f, \"appcore_wall_1t\": %.0f, "
		       "\"appcore_wall_nt\": %.0f, \"appcore_single_ns\": %.1f",
		       round, batch1, wall1, walln, single);
#ifdef HAVE_XGBOOST
		printf(", \"xgboost_c_batch_1t\": %.0f, \"xgboost_c_single_ns\": %.1f",
		       rate_xgb_batch(&c, NULL), ns_single_xgb(&c));
#endif
		printf("}\n");
		fflush(stdout);
	}
#ifdef HAVE_XGBOOST
	XGBoosterFree(c.booster);
	free(c.row_arrays);
#endif
	appcore_pool_free(c.pool);
	appcore_model_unref(c.model);
	free(margin);
	free(c.out);
	free(want_margin);
	free(want_value);
	free(c.rows);
	(void)errno;
	return 0;
}
