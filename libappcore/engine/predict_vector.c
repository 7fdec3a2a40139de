/* Prediction with vector-leaf trees (multi_strategy "multi_output_tree", XGBoost 2.0+): every
 * tree adds its leaf's leaf_size values to the row's leaf_size outputs, as XGBoost's
 * predictor does for MultiTargetTree (cpu_predictor.cc, namespace multi). Kept apart from the
 * scalar engine (predict.c), whose node layout may change independently. */
#include <math.h>

#include "model/model_internal.h"

static inline uint32_t vector_leaf(const appcore_model *m, uint32_t index, const float *row)
{
	const ac_vnode *nodes = m->vnodes;
	const ac_vnode *n = &nodes[index];

	while (!(n->info & AC_NODE_LEAF)) {
		const float x = row[n->info & AC_NODE_FEATURE_MASK];
		uint32_t right;

		if (isnan(x)) {
			right = !(n->info & AC_NODE_DEFAULT_LEFT);
		} else if (!(n->info & AC_NODE_CATEGORICAL)) {
			right = !(x < n->v.split);
		} else {
			/* listed categories go right; anything else left, as in the scalar engine */
			const ac_catset *set = &m->catsets[n->v.catset];

			right = 0;
			if (x >= 0.0f && x < AC_MAX_CATEGORY) {
				const uint32_t c = (uint32_t)x;

				if (c / 32 < set->num_words)
					right = (m->cat_words[set->first_word + c / 32] >> (c % 32)) &
						1u;
			}
		}
		n = &nodes[n->left + right];
	}
	return n->v.leaf;
}

void ac_predict_vector(const appcore_model *m, const float *rows, size_t count,
		       size_t tree_begin, size_t tree_end, float *margins)
{
	const size_t nf = m->num_features, size = m->leaf_size;

	/* tree by tree over the block of rows: a tree's nodes stay in cache */
	for (size_t t = tree_begin; t < tree_end; t++) {
		const uint32_t root = m->tree_roots[t];

		for (size_t r = 0; r < count; r++) {
			const float *leaf = m->vleaves + vector_leaf(m, root, rows + r * nf);
			float *out = margins + r * size;

			for (size_t k = 0; k < size; k++)
				out[k] += leaf[k];
		}
	}
}
