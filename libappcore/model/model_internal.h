/* The loaded model: compact, immutable arrays shared by all predicting threads. Private. */
#ifndef APPCORE_MODEL_INTERNAL_H
#define APPCORE_MODEL_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "appcore/model.h"
#include "engine/layout.h"
#include "model/objective.h"

/* ac_node.info: feature index in the low bits, flags in the high ones. */
#define AC_NODE_LEAF 0x80000000u
#define AC_NODE_DEFAULT_LEFT 0x40000000u
#define AC_NODE_CATEGORICAL 0x20000000u
#define AC_NODE_FEATURE_MASK 0x1FFFFFFFu
/* Category values are exact in float32 only below 2^24 (XGBoost's limit too). */
#define AC_MAX_CATEGORY 16777216.0f

/* 12 bytes per node. Children are stored as a pair: right == left + 1 (the loader renumbers
 * every tree breadth-first), so one index serves both and a branch-free step is possible. */
typedef struct ac_node {
	union {
		float split; /* numerical split: x < split goes left */
		float leaf;  /* leaf value (already scaled by the dart weight) */
		uint32_t catset; /* categorical split: index into appcore_model.catsets */
	} v;
	uint32_t info;
	uint32_t left; /* absolute index into appcore_model.nodes; a leaf points to itself */
} ac_node;

/* A node of a vector-leaf tree (engine/predict_vector.c): the same shape as ac_node, kept a
 * type of its own so the scalar layout can change without touching vector trees. */
typedef struct ac_vnode {
	union {
		float split;
		uint32_t leaf;   /* leaf: index of its first value in appcore_model.vleaves */
		uint32_t catset;
	} v;
	uint32_t info;
	uint32_t left;
} ac_vnode;

/* Categories listed in a split (they go right), as a bitset in appcore_model.cat_words. */
typedef struct ac_catset {
	uint32_t first_word;
	uint32_t num_words;
} ac_catset;

typedef enum ac_booster {
	AC_BOOSTER_GBTREE,
	AC_BOOSTER_DART,
	AC_BOOSTER_GBLINEAR,
} ac_booster;

/* Feature name -> column, sorted by name for bsearch. */
typedef struct ac_feature_slot {
	const char *name;
	size_t index;
} ac_feature_slot;

struct appcore_model {
	atomic_size_t refs;
	char *name;
	char *version;
	/* `,"model":{"name":...,"version":...}}` ready to append to a response */
	char *response_suffix;
	size_t response_suffix_len;

	const ac_objective *objective;
	ac_booster booster;
	char xgboost_version[48];
	size_t num_features;
	size_t num_groups; /* margins per row: num_class, or num_target */
	float *base_score;  /* per group, output space, as stored */
	float *base_margin; /* per group, margin space */

	size_t num_trees;
	size_t trees_capacity; /* of tree_roots, tree_groups, tree_depths and tree_features */
	size_t num_parallel_tree;
	uint32_t *tree_roots;  /* absolute node index of each tree's root (in vnodes for vector
				* trees) */
	uint32_t *tree_groups; /* output group of each tree */
	uint32_t *tree_depths; /* edges from root to the deepest leaf */
	/* largest feature index each tree splits on, and the file's id of a node using it:
	 * checked against num_features once the document has been read (build.h) */
	uint32_t *tree_features;
	uint32_t *tree_feature_nodes;

	/* Boosting iterations: trees [iteration_ptr[i], iteration_ptr[i + 1]) make iteration i
	 * (XGBoost's iteration_indptr). gblinear: num_iterations is boosted_rounds and there is
	 * no iteration_ptr. */
	size_t num_iterations;
	uint32_t *iteration_ptr;
	long best_iteration; /* learner.attributes.best_iteration (early stopping), or -1 */
	/* iterations predicted when a caller asks for the default range: [0, this), 0 = all */
	size_t default_iteration_end;
	int release[3]; /* XGBoost release that wrote the file (major, minor, patch), 0s if unknown */

	/* Vector-leaf trees (multi_output_tree): their own nodes, leaf_size values per leaf. */
	size_t leaf_size; /* 0 when the trees are scalar */
	ac_vnode *vnodes;
	size_t num_vnodes, vnodes_capacity;
	float *vleaves;
	size_t num_vleaves, vleaves_capacity;
	int has_categorical;
	ac_node *nodes;
	size_t num_nodes;
	size_t nodes_capacity;
	ac_catset *catsets;
	size_t num_catsets;
	uint32_t *cat_words;
	size_t num_cat_words;
	/* The engine's own layout of the trees above (engine/layout.h; NULL when the model does
	 * not qualify) and the kernel its predictions use, both chosen once the trees are in. */
	ac_layout *layout;
	ac_kernel kernel;

	float *linear_weights; /* gblinear: (num_features + 1) * num_groups, bias row last */

	char **feature_names; /* NULL when the model has none */
	char **feature_types;
	ac_feature_slot *feature_index; /* sorted copy of feature_names */
};

struct ac_input;

/* Read an XGBoost model (JSON or UBJSON, told apart by content) into a zeroed model (refs and
 * identity untouched). Legacy binary models are recognised and refused with a hint. */
int ac_model_parse(appcore_model *model, struct ac_input *in, appcore_error *err);

/* Boosting iterations of the model (what XGBoost's num_boosted_rounds() returns). */
size_t ac_model_num_iterations(const appcore_model *model);

/* learner.attributes.best_iteration, written by early stopping; -1 when absent. */
long ac_model_best_iteration(const appcore_model *model);

/* Trees [*tree_begin, *tree_end) of iterations [begin, end), as XGBoost's iteration_range;
 * (0, 0) means the model's default range (every tree, or [0, best_iteration + 1) when loaded
 * with use_best_iteration), an end of 0 the last iteration. APPCORE_EREQUEST when the range
 * is empty or beyond the model. */
int ac_model_tree_range(size_t *tree_begin, size_t *tree_end, const appcore_model *model,
			size_t begin, size_t end, appcore_error *err);

/* Vector-leaf trees [tree_begin, tree_end) added into margins (num_groups per row). */
void ac_predict_vector(const appcore_model *model, const float *rows, size_t count,
		       size_t tree_begin, size_t tree_end, float *margins);

/* Free everything a model owns, and the model. */
void ac_model_destroy(appcore_model *model);

/* Column of the feature called name, or -1. */
long ac_model_feature_lookup(const appcore_model *model, const char *name);

#endif
