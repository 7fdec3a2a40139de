/* The reference walker: the simplest correct traversal, kept as the yardstick every faster
 * path is tested against (tests/test_engine.c) and used for what they do not cover. */
#include <math.h>

#include "engine/engine.h"
#include "model/model_internal.h"

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

void ac_engine_reference_margins(const appcore_model *m, const float *rows, size_t count,
				 size_t tree_begin, size_t tree_end, float *margins)
{
	const size_t nf = m->num_features, groups = m->num_groups;

	for (size_t r = 0; r < count; r++)
		for (size_t t = tree_begin; t < tree_end; t++)
			margins[r * groups + m->tree_groups[t]] +=
				leaf_value(m, m->tree_roots[t], rows + r * nf);
}
