/* Prediction: tree traversal over compact nodes, XGBoost's float arithmetic and order. */
#include <math.h>
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

static inline float leaf_value(const appcore_model *m, uint32_t index, const float *row)
{
	const ac_node *nodes = m->nodes;
	const ac_node *n = &nodes[index];

	while (!(n->info & AC_NODE_LEAF)) {
		float x = row[n->info & AC_NODE_FEATURE_MASK];
		uint32_t next;

		if (isnan(x)) {
			next = n->left + !(n->info & AC_NODE_DEFAULT_LEFT);
		} else if (!(n->info & AC_NODE_CATEGORICAL)) {
			next = n->left + !(x < n->v.split);
		} else {
			/* Listed categories go right; anything else, including values that are not
			 * valid categories (negative, too large), goes left, as in XGBoost. */
			const ac_catset *set = &m->catsets[n->v.catset];
			uint32_t right = 0;

			if (x >= 0.0f && x < AC_MAX_CATEGORY) {
				uint32_t c = (uint32_t)x;

				if (c / 32 < set->num_words)
					right = (m->cat_words[set->first_word + c / 32] >> (c % 32)) & 1u;
			}
			next = n->left + right;
		}
		n = &nodes[next];
	}
	return n->v.leaf;
}

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

static void margins_trees_fixed_depth(const appcore_model *m, const float *rows, size_t count,
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

static void margins_trees(const appcore_model *m, const float *rows, size_t count,
			  size_t tree_begin, size_t tree_end, float *margins)
{
	const size_t nf = m->num_features, groups = m->num_groups;

	if (m->leaf_size > 0) {
		ac_predict_vector(m, rows, count, tree_begin, tree_end, margins);
		return;
	}
	if (!m->has_categorical) {
		margins_trees_fixed_depth(m, rows, count, tree_begin, tree_end, margins);
		return;
	}
	if (groups == 1) {
		for (size_t t = tree_begin; t < tree_end; t++) {
			const uint32_t root = m->tree_roots[t];

			for (size_t r = 0; r < count; r++)
				margins[r] += leaf_value(m, root, rows + r * nf);
		}
		return;
	}
	for (size_t t = tree_begin; t < tree_end; t++) {
		const uint32_t root = m->tree_roots[t];
		const uint32_t g = m->tree_groups[t];

		for (size_t r = 0; r < count; r++)
			margins[r * groups + g] += leaf_value(m, root, rows + r * nf);
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

int ac_engine_predict(const appcore_model *m, const float *rows, size_t num_rows,
		      appcore_output_kind kind, size_t tree_begin, size_t tree_end, float *out,
		      appcore_error *err)
{
	float stack[STACK_MARGINS];
	float *margins = stack;
	const size_t groups = m->num_groups;
	const size_t width = appcore_model_output_size(m, kind);
	size_t block = STACK_MARGINS / groups;

	if (block > BLOCK_ROWS)
		block = BLOCK_ROWS;
	if (block == 0) {
		block = 1;
		margins = malloc(groups * sizeof(*margins));
		if (margins == NULL)
			return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	for (size_t start = 0; start < num_rows; start += block) {
		const size_t count = num_rows - start < block ? num_rows - start : block;
		const float *block_rows = rows + start * m->num_features;

		for (size_t r = 0; r < count; r++)
			memcpy(margins + r * groups, m->base_margin, groups * sizeof(*margins));
		if (m->booster == AC_BOOSTER_GBLINEAR)
			margins_linear(m, block_rows, count, margins);
		else
			margins_trees(m, block_rows, count, tree_begin, tree_end, margins);
		if (kind == APPCORE_OUTPUT_MARGIN) {
			memcpy(out + start * width, margins, count * groups * sizeof(*margins));
			continue;
		}
		for (size_t r = 0; r < count; r++)
			ac_objective_transform(m->objective, margins + r * groups, groups,
					       out + (start + r) * width);
	}
	if (margins != stack)
		free(margins);
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
	return ac_engine_predict(m, rows, num_rows, options->output, tree_begin, tree_end, out,
				 err);
}
