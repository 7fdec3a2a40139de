/* The prediction engine's internal entry points. Private to libappcore. */
#ifndef APPCORE_ENGINE_ENGINE_H
#define APPCORE_ENGINE_ENGINE_H

#include <stddef.h>

#include "appcore/error.h"
#include "appcore/model.h"
#include "appcore/pool.h"
#include "appcore/predict.h"
#include "engine/layout.h"

/*
 * Score num_rows dense rows (row-major, appcore_model_num_features() floats each, NaN =
 * missing) with the trees [tree_begin, tree_end) of the model, clamped to the trees it has
 * (tree_end SIZE_MAX: all of them), into out (num_rows * appcore_model_output_size(m, kind)
 * floats). Trees are added to each row's margin in order, from the base margin, in float32,
 * as XGBoost does, so every path gives the same bits. gblinear models ignore the range.
 *
 * pool: NULL or a pool whose threads share the rows (in slices, so row order is kept); small
 * batches run on the caller alone. No allocation unless a model has more than 2048 output
 * groups (then one bounded buffer per thread).
 *
 * Returns APPCORE_OK, APPCORE_EINVAL (NULL model/out, NULL rows with num_rows > 0, unknown
 * kind, tree_begin > tree_end or past the last tree), APPCORE_ENOMEM. Thread-safe.
 */
int ac_engine_predict(const appcore_model *m, const float *rows, size_t num_rows,
		      appcore_output_kind kind, size_t tree_begin, size_t tree_end,
		      appcore_pool *pool, float *out, appcore_error *err);

/* The same with a chosen kernel (layout.h) instead of the model's own, for tests and
 * benchmarks; APPCORE_EINVAL when ac_kernel_usable() says it cannot score this model. */
int ac_engine_predict_kernel(const appcore_model *m, const float *rows, size_t num_rows,
			     appcore_output_kind kind, size_t tree_begin, size_t tree_end,
			     appcore_pool *pool, ac_kernel kernel, float *out, appcore_error *err);

/* The reference walker: one row at a time, tree after tree, following child links and
 * stopping at the leaf, every split kind. Adds trees [tree_begin, tree_end) to the
 * num_groups margins of each row. Every faster path is tested against it. */
void ac_engine_reference_margins(const appcore_model *m, const float *rows, size_t count,
				 size_t tree_begin, size_t tree_end, float *margins);

/* Chunk `chunk` of a batch, run by thread number `worker` (0 = the caller, up to
 * appcore_pool_num_threads() - 1). */
typedef void (*ac_pool_fn)(void *ctx, size_t chunk, size_t worker);

/* Run fn(ctx, i, worker) for i in [0, num_chunks) on the pool's threads and the caller's,
 * returning when all are done. With a NULL, single-thread or busy pool, runs them all on the
 * caller (worker 0). */
void ac_pool_run(appcore_pool *pool, size_t num_chunks, ac_pool_fn fn, void *ctx);

/* The pool of options, which only version 2 and later have. */
static inline appcore_pool *ac_options_pool(const appcore_predict_options *options)
{
	return options->version >= 2 ? options->pool : NULL;
}

/* Whether options (of their version) ask the protocol calls to hand the rows back. */
static inline int ac_options_keep_rows(const appcore_predict_options *options)
{
	return options->version >= 2 && options->keep_rows;
}

/* APPCORE_EINVAL unless options has a version and output kind this library knows. */
int ac_predict_options_check(const appcore_predict_options *options, appcore_error *err);

#endif
