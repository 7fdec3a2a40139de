/* The one way trees enter a model. File-format readers (JSON today) decode each tree into
 * this neutral form, field for field as XGBoost stores it; ac_model_add_tree() validates
 * its structure and lays it out for the engine, so a reader never needs to know the layout
 * and the engine never sees an unchecked tree. Private to libappcore. */
#ifndef APPCORE_MODEL_BUILD_H
#define APPCORE_MODEL_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "model/model_internal.h"

/* One tree as XGBoost writes it: node ids as in the file, arrays of num_nodes entries
 * (categories arrays excepted). Borrowed: valid during ac_model_add_tree() only. */
struct ac_tree_src {
	size_t num_nodes;
	const int32_t *left;         /* left child id, -1 at leaves */
	const int32_t *right;        /* right child id, -1 at leaves */
	const int32_t *split_index;  /* feature of each split (unused at leaves) */
	const float *split_cond;     /* threshold at numerical splits, value at leaves;
				      * NaN where the file had null (allowed where unused) */
	const uint8_t *default_left; /* nonzero: a missing value goes left */
	const uint8_t *split_type;   /* NULL when absent (all numerical); 1 = categorical */
	/* categorical splits: categories_nodes/_segments/_sizes (num_cat_nodes entries each)
	 * index into categories (num_categories entries); NULL when the tree has none */
	const int32_t *cat_nodes, *cat_segments, *cat_sizes;
	size_t num_cat_nodes;
	const int32_t *categories;
	size_t num_categories;
	uint32_t group; /* output group, from tree_info (checked by the reader) */
	float weight;   /* DART weight_drop of the tree, 1 otherwise */
};

/* Room for about num_trees trees of num_nodes nodes in all (a hint; adding more grows). */
int ac_model_reserve_trees(appcore_model *m, size_t num_trees, size_t num_nodes,
			   appcore_error *err);

/* Validate tree number `index` (children in range, every node reached once from the root,
 * features below num_features, category sets well-formed) and append it. Messages name the
 * tree as "trees[index]"; the caller prefixes where the trees live. */
int ac_model_add_tree(appcore_model *m, const struct ac_tree_src *tree, size_t index,
		      appcore_error *err);

/* After the last tree: release spare capacity. */
int ac_model_finish_trees(appcore_model *m, appcore_error *err);

#endif
