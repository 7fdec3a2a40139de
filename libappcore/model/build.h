/* The one way trees enter a model. File-format readers (JSON and UBJSON, document.c) decode
 * each tree into this neutral form, field for field as XGBoost stores it;
 * ac_model_add_tree() validates its structure and lays it out for the engine, so a reader
 * never needs to know the layout and the engine never sees an unchecked tree.
 *
 * XGBoost writes the trees before what they are checked against (learner_model_param's
 * num_feature and num_target come after gradient_booster in its sorted keys, DART weights
 * after the trees), so the checks that need those run in ac_model_finish_trees(), once the
 * document has been read. Private to libappcore. */
#ifndef APPCORE_MODEL_BUILD_H
#define APPCORE_MODEL_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "model/model_internal.h"

/* One tree as XGBoost writes it: node ids as in the file, arrays of num_nodes entries
 * (categories and leaf value arrays excepted). Borrowed: valid during ac_model_add_tree()
 * only. */
struct ac_tree_src {
	size_t num_nodes;
	const int32_t *left;         /* left child id, -1 at leaves */
	const int32_t *right;        /* right child id, -1 at leaves (see leaf_weights) */
	const int32_t *split_index;  /* feature of each split (unused at leaves) */
	const float *split_cond;     /* threshold at numerical splits, value at scalar leaves;
				      * NaN where the file had NaN or null (allowed where unused) */
	const uint8_t *default_left; /* nonzero: a missing value goes left */
	const uint8_t *split_type;   /* NULL when absent (all numerical); 1 = categorical */
	/* categorical splits: categories_nodes/_segments/_sizes (num_cat_nodes entries each)
	 * index into categories (num_categories entries); NULL when the tree has none */
	const int32_t *cat_nodes, *cat_segments, *cat_sizes;
	size_t num_cat_nodes;
	const int32_t *categories;
	size_t num_categories;
	/* Vector leaves (multi_strategy "multi_output_tree", XGBoost 2.0+): leaf_size values per
	 * leaf (tree_param.size_leaf_vector); 0 or 1 for a scalar tree. XGBoost 2.0 to 3.1 keep a
	 * leaf's values in base_weights (leaf_size per node, by node id); 3.2+ keep them in
	 * leaf_weights (leaf_size per leaf) and store each leaf's index there in right_children.
	 * A model's trees are all scalar or all vector. */
	size_t leaf_size;
	const float *base_weights;
	size_t num_base_weights;
	const float *leaf_weights; /* NULL before XGBoost 3.2 */
	size_t num_leaf_weights;
};

/* Room for about num_trees trees of num_nodes nodes in all (a hint; adding more grows). */
int ac_model_reserve_trees(appcore_model *m, size_t num_trees, size_t num_nodes,
			   appcore_error *err);

/* Validate tree number `index` (children in range, every node reached once from the root,
 * feature indices and category sets well-formed, leaf values present) and append it.
 * Messages name the tree as "trees[index]"; the caller prefixes where the trees live. */
int ac_model_add_tree(appcore_model *m, const struct ac_tree_src *tree, size_t index,
		      appcore_error *err);

/* What XGBoost stores beside the trees. */
struct ac_trees_info {
	const char *path;           /* where the trees live, for messages */
	const int32_t *groups;      /* tree_info: output group of each tree */
	size_t num_groups_entries;
	const float *weights;       /* DART weight_drop; trees beyond num_weights weigh 1 */
	size_t num_weights;
	const char *weights_path;   /* where weight_drop was, for messages */
	const int32_t *iteration_indptr; /* XGBoost 2.0+: first tree of each iteration, and the
					  * end; NULL for older files */
	size_t num_indptr;
	const char *indptr_path;
};

/* After the last tree, with num_features, num_groups and num_parallel_tree set: check every
 * tree against them (features, output groups, leaf sizes), apply the DART weights, derive the
 * boosting iterations (model->iteration_ptr) and release spare capacity. */
int ac_model_finish_trees(appcore_model *m, const struct ac_trees_info *info,
			  appcore_error *err);

#endif
