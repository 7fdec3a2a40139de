/* Prediction: cut a batch into slices for the pool, blocks of rows for the cache, and hand
 * each block to the tree kernel the model was laid out for; XGBoost's float arithmetic and
 * order throughout. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "engine/engine.h"
#include "model/model_internal.h"

/* Rows per block: trees are walked for a whole block before moving to the next tree, so a
 * tree's nodes stay in cache across rows (what XGBoost's CPU predictor does too). */
#define BLOCK_ROWS 64
/* Margins of one block live on the stack unless the model has very many output groups. */
#define STACK_MARGINS 2048
/* Below this many row-tree walks a batch is not worth waking the pool for (a wake-up costs
 * tens of microseconds; this is about 50 of work). */
#define POOL_MIN_WORK ((size_t)1 << 18)

/* One level down, without a branch on the outcome: leaves point to themselves and mask the
 * step to 0, so every row can take exactly depth steps. Numerical splits only. */
static inline uint32_t step(const ac_node *nodes, uint32_t index, const float *row)
{
	const ac_node *n = &nodes[index];
	const uint32_t info = n->info;
	const float x = row[info & AC_NODE_FEATURE_MASK];
	const uint32_t right = isnan(x) ? !(info & AC_NODE_DEFAULT_LEFT) : !(x < n->v.split);

	return n->left + (right & ~(info >> 31));
}

/* Eight rows walk a tree in lockstep: their chains of dependent loads overlap. */
#define LANES 8

void ac_kernel_lockstep(const appcore_model *m, const float *rows, size_t count,
			size_t tree_begin, size_t tree_end, float *margins)
{
	const size_t nf = m->num_features, groups = m->num_groups;
	const ac_node *nodes = m->nodes;

	for (size_t t = tree_begin; t < tree_end; t++) {
		const uint32_t root = m->tree_roots[t], depth = m->tree_depths[t];
		const uint32_t g = m->tree_groups[t];
		size_t r = 0;

		for (; r + LANES <= count; r += LANES) {
			uint32_t idx[LANES];

			for (size_t k = 0; k < LANES; k++)
				idx[k] = root;
			for (uint32_t d = 0; d < depth; d++)
				for (size_t k = 0; k < LANES; k++)
					idx[k] = step(nodes, idx[k], rows + (r + k) * nf);
			for (size_t k = 0; k < LANES; k++)
				margins[(r + k) * groups + g] += nodes[idx[k]].v.leaf;
		}
		for (; r < count; r++) {
			uint32_t idx = root;

			for (uint32_t d = 0; d < depth; d++)
				idx = step(nodes, idx, rows + r * nf);
			margins[r * groups + g] += nodes[idx].v.leaf;
		}
	}
}

/* XGBoost's GBLinear::Pred: bias + base first, then present features in column order. */
static void margins_linear(const appcore_model *m, const float *rows, size_t count, float *margins)
{
	const size_t nf = m->num_features, groups = m->num_groups;
	const float *bias = m->linear_weights + nf * groups;

	for (size_t r = 0; r < count; r++) {
		const float *row = rows + r * nf;

		for (size_t g = 0; g < groups; g++) {
			float sum = bias[g] + margins[r * groups + g];

			for (size_t f = 0; f < nf; f++)
				if (!isnan(row[f]))
					sum += row[f] * m->linear_weights[f * groups + g];
			margins[r * groups + g] = sum;
		}
	}
}

/* A batch being scored: what every slice needs. */
struct job {
	const appcore_model *m;
	const float *rows;
	size_t num_rows;
	appcore_output_kind kind;
	size_t tree_begin, tree_end;
	float *out;
	size_t width;       /* outputs per row */
	size_t block;       /* rows per block */
	size_t chunk_rows;  /* rows per slice handed to a thread */
	float *heap;        /* margins per thread when they do not fit the stack, or NULL */
	ac_kernel_fn kernel;
};

/* Rows [start, start + count) of the batch, block by block. */
static void score_rows(const struct job *j, size_t start, size_t count, float *margins)
{
	const appcore_model *m = j->m;
	const size_t groups = m->num_groups;

	for (size_t done = 0; done < count; done += j->block) {
		const size_t first = start + done;
		const size_t n = count - done < j->block ? count - done : j->block;
		const float *block_rows = j->rows + first * m->num_features;

		for (size_t r = 0; r < n; r++)
			memcpy(margins + r * groups, m->base_margin, groups * sizeof(*margins));
		if (m->booster == AC_BOOSTER_GBLINEAR)
			margins_linear(m, block_rows, n, margins);
		else if (m->leaf_size > 0)
			ac_predict_vector(m, block_rows, n, j->tree_begin, j->tree_end, margins);
		else
			j->kernel(m, block_rows, n, j->tree_begin, j->tree_end, margins);
		if (j->kind == APPCORE_OUTPUT_MARGIN) {
			memcpy(j->out + first * j->width, margins, n * groups * sizeof(*margins));
			continue;
		}
		for (size_t r = 0; r < n; r++)
			ac_objective_transform(m->objective, margins + r * groups, groups,
					       j->out + (first + r) * j->width);
	}
}

static void score_chunk(void *ctx, size_t chunk, size_t worker)
{
	const struct job *j = ctx;
	const size_t start = chunk * j->chunk_rows;
	const size_t count = j->num_rows - start < j->chunk_rows ? j->num_rows - start : j->chunk_rows;
	float stack[STACK_MARGINS];

	score_rows(j, start, count, j->heap ? j->heap + worker * j->m->num_groups : stack);
}

/* One row, on the caller: an embedding program's per-request call. For a small model the
 * batch machinery (the job, slices and blocks, divisions to size them, the pool's entry)
 * cost a sixth of the call, so the row goes straight to score_rows as a block of one. */
/* NOLINTBEGIN(readability-non-const-parameter): out is written through job.out */
static int score_one(const appcore_model *m, const float *row, appcore_output_kind kind,
		     size_t tree_begin, size_t tree_end, ac_kernel kernel, float *out)
/* NOLINTEND(readability-non-const-parameter) */
{
	const struct job j = { .m = m, .rows = row, .num_rows = 1, .kind = kind,
			       .tree_begin = tree_begin, .tree_end = tree_end, .out = out,
			       .width = appcore_model_output_size(m, kind),
			       .block = 1, .chunk_rows = 1, .kernel = ac_kernel_function(kernel) };
	float margins[STACK_MARGINS];

	score_rows(&j, 0, 1, margins);
	return APPCORE_OK;
}

int ac_engine_predict(const appcore_model *m, const float *rows, size_t num_rows,
		      appcore_output_kind kind, size_t tree_begin, size_t tree_end,
		      appcore_pool *pool, float *out, appcore_error *err)
{
	return ac_engine_predict_kernel(m, rows, num_rows, kind, tree_begin, tree_end, pool,
					m ? m->kernel : AC_KERNEL_REFERENCE, out, err);
}

/* NOLINTBEGIN(readability-non-const-parameter): out is written through job.out */
int ac_engine_predict_kernel(const appcore_model *m, const float *rows, size_t num_rows,
			     appcore_output_kind kind, size_t tree_begin, size_t tree_end,
			     appcore_pool *pool, ac_kernel kernel, float *out, appcore_error *err)
/* NOLINTEND(readability-non-const-parameter) */
{
	struct job j;
	size_t threads, chunks;

	if (m == NULL || out == NULL || (rows == NULL && num_rows > 0))
		return ac_error_set(err, APPCORE_EINVAL, "predict: NULL argument");
	if (kind != APPCORE_OUTPUT_VALUE && kind != APPCORE_OUTPUT_MARGIN)
		return ac_error_set(err, APPCORE_EINVAL, "predict: unknown output kind %d", (int)kind);
	if (tree_end > m->num_trees)
		tree_end = m->num_trees;
	if (tree_begin > tree_end)
		return ac_error_set(err, APPCORE_EINVAL,
				    "predict: tree range [%zu, %zu) is empty or past the %zu trees",
				    tree_begin, tree_end, m->num_trees);
	/* the model's own kernel was checked at load */
	if (kernel != m->kernel && !ac_kernel_usable(m, kernel))
		return ac_error_set(err, APPCORE_EINVAL, "predict: kernel %s cannot score this model here",
				    ac_kernel_name(kernel));
	if (num_rows == 0)
		return APPCORE_OK;
	if (num_rows == 1 && m->num_groups <= STACK_MARGINS)
		return score_one(m, rows, kind, tree_begin, tree_end, kernel, out);
	j = (struct job){ .m = m, .rows = rows, .num_rows = num_rows, .kind = kind,
			  .tree_begin = tree_begin, .tree_end = tree_end, .out = out,
			  .width = appcore_model_output_size(m, kind),
			  .kernel = ac_kernel_function(kernel) };
	j.block = STACK_MARGINS / m->num_groups;
	if (j.block > BLOCK_ROWS)
		j.block = BLOCK_ROWS;
	/* One slice per thread unless the batch is big enough to cut finer, so a thread slowed
	 * by a neighbour on a shared machine holds up little. */
	threads = appcore_pool_num_threads(pool);
	if (threads > 1 && num_rows * (m->num_trees ? m->num_trees : 1) < POOL_MIN_WORK)
		threads = 1;
	chunks = threads <= 1 ? 1 : threads * 4;
	j.chunk_rows = (num_rows + chunks - 1) / chunks; /* >= 1: num_rows > 0 here */
	if (j.block > 0)
		j.chunk_rows = (j.chunk_rows + j.block - 1) / j.block * j.block;
	chunks = (num_rows + j.chunk_rows - 1) / j.chunk_rows;
	if (j.block == 0) {
		j.block = 1;
		j.heap = malloc(threads * m->num_groups * sizeof(*j.heap));
		if (j.heap == NULL)
			return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	ac_pool_run(threads > 1 ? pool : NULL, chunks, score_chunk, &j);
	free(j.heap);
	return APPCORE_OK;
}

int appcore_predict_options_init(appcore_predict_options *options, unsigned int version)
{
	if (options == NULL || version == 0 || version > APPCORE_PREDICT_OPTIONS_VERSION)
		return APPCORE_EINVAL;
	memset(options, 0, sizeof(*options));
	options->version = version;
	options->output = APPCORE_OUTPUT_VALUE;
	options->max_batch_rows = APPCORE_PREDICT_DEFAULT_MAX_BATCH_ROWS;
	return APPCORE_OK;
}

int ac_predict_options_check(const appcore_predict_options *options, appcore_error *err)
{
	if (options->version == 0 || options->version > APPCORE_PREDICT_OPTIONS_VERSION)
		return ac_error_set(
		    err, APPCORE_EINVAL,
		    "appcore_predict_options: unknown version %u (this library knows "
		    "1..%d)",
		    options->version, APPCORE_PREDICT_OPTIONS_VERSION);
	if (options->output != APPCORE_OUTPUT_VALUE && options->output != APPCORE_OUTPUT_MARGIN)
		return ac_error_set(err, APPCORE_EINVAL,
				    "appcore_predict_options: unknown output kind %d",
				    (int)options->output);
	return APPCORE_OK;
}

int appcore_predict(float *out, const appcore_model *m, const float *rows, size_t num_rows,
		    const appcore_predict_options *options, appcore_error *err)
{
	static const appcore_predict_options defaults = APPCORE_PREDICT_OPTIONS_INIT;
	size_t tree_begin, tree_end;
	int rc;

	if (m == NULL || out == NULL || (rows == NULL && num_rows > 0))
		return ac_error_set(err, APPCORE_EINVAL, "appcore_predict: NULL argument");
	if (options == NULL)
		options = &defaults;
	if ((rc = ac_predict_options_check(options, err)) != APPCORE_OK ||
	    (rc = ac_model_tree_range(&tree_begin, &tree_end, m, options->iteration_begin,
				      options->iteration_end, err)) != APPCORE_OK)
		return rc;
	return ac_engine_predict(m, rows, num_rows, options->output, tree_begin, tree_end,
				 ac_options_pool(options), out, err);
}
