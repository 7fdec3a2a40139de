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
	size_t trees_capacity; /* of tree_roots, tree_groups and tree_depths */
	size_t num_parallel_tree;
	uint32_t *tree_roots;  /* absolute node index of each tree's root */
	uint32_t *tree_groups; /* output group of each tree */
	uint32_t *tree_depths; /* edges from root to the deepest leaf */
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

/* Parse an XGBoost JSON model into a zeroed model (refs and identity untouched). */
int ac_model_parse(appcore_model *model, const char *data, size_t len, appcore_error *err);

/* Free everything a model owns, and the model. */
void ac_model_destroy(appcore_model *model);

/* Column of the feature called name, or -1. */
long ac_model_feature_lookup(const appcore_model *model, const char *name);

#endif
