/* The XGBoost model document (what save_model writes, JSON or UBJSON alike), read from the
 * token events of reader.h in one pass. Each tree's arrays are collected into reusable
 * buffers and handed to the builder (build.h) as soon as the tree's object ends; everything
 * else the document holds is kept as the few strings and arrays it is, and checked once the
 * document has ended, because XGBoost writes its keys sorted: the trees come before
 * learner_model_param and the objective, DART weights after the trees.
 *
 * Where XGBoost versions differ:
 *   - DART: "dart" booster with the trees in "gbtree" and weight_drop beside it (up to 3.2);
 *     "gbtree" with weight_drop beside "model" (3.3) or inside it (3.4). Fewer weights than
 *     trees are allowed; the trees without one weigh 1 (gbtree_model.cc).
 *   - iteration_indptr (2.0+) tells the trees of each boosting iteration; before, every
 *     iteration has num_parallel_tree trees per output group.
 *   - vector-leaf trees (multi_output_tree, 2.0+): tree_param.size_leaf_vector > 1.
 *   - base_score: "5E-1" up to 3.0, "[5E-1]" or one value per output from 3.1. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "model/build.h"
#include "model/document.h"
#include "model/model_internal.h"
#include "model/reader.h"

#define MAX_FEATURES ((size_t)AC_NODE_FEATURE_MASK)
#define MAX_GROUPS 65536u

/* One tree's arrays, reused from tree to tree. */
struct tree_bufs {
	struct ac_i32_buf left, right, split_index, default_left, split_type;
	struct ac_i32_buf cat_nodes, cat_segments, cat_sizes, categories;
	struct ac_f32_buf split_cond, base_weights, leaf_weights;
	uint8_t *flags;
	size_t flags_cap;
};

struct doc {
	appcore_model *m;
	struct ac_reader *r;
	appcore_error *err;

	bool has_learner, has_booster, snapshot;
	bool has_model_param, has_objective;
	char *objective;
	char *base_score, *num_feature, *num_class, *num_target;
	char **feature_names, **feature_types;
	size_t num_feature_names, num_feature_types;
	bool has_feature_names, has_feature_types;
	char *best_iteration;

	char *booster_name;
	bool has_model, has_inner;
	char model_path[48];
	bool has_gbtree_param, has_trees, has_tree_info, has_indptr, has_linear;
	char *num_parallel_tree;
	struct ac_i32_buf tree_info, indptr;
	struct ac_f32_buf weight_drop_outer, weight_drop_inner, linear;
	bool has_weight_drop_outer, has_weight_drop_inner;
	long long boosted_rounds;
	size_t num_trees;
	struct tree_bufs tb;
};

static int fail(struct doc *d)
{
	return d->err->code != APPCORE_OK ? d->err->code : APPCORE_EMODEL;
}

static const char *expected_name(ac_tok tok)
{
	switch (tok) {
	case AC_TOK_OBJECT: return "an object";
	case AC_TOK_ARRAY: return "an array";
	case AC_TOK_STRING: return "a string";
	default: return "a value";
	}
}

/* The value of the member `key` just read must be of type want. */
static int expect(struct doc *d, ac_tok want, const char *path, const char *key)
{
	ac_tok tok = ac_next(d->r);

	if (tok == AC_TOK_ERROR)
		return fail(d);
	if (tok != want)
		return ac_error_set(d->err, APPCORE_EMODEL, "%s.%s: expected %s, got %s", path, key,
				    expected_name(want), ac_tok_name(tok));
	return APPCORE_OK;
}

static int skip_value(struct doc *d)
{
	if (ac_next(d->r) == AC_TOK_ERROR)
		return fail(d);
	return ac_skip(d->r);
}

/* The next member of the object being read: its key's index in keys (-1 for one not
 * listed), or -2 at the end of the object, -3 on an error. A key listed but seen before is
 * an error: duplicate members are refused wherever appcore reads them. */
static int next_member(struct doc *d, const char *const *keys, int n, unsigned long long *seen,
		       const char *path)
{
	ac_tok tok = ac_next(d->r);

	if (tok == AC_TOK_OBJECT_END)
		return -2;
	if (tok != AC_TOK_KEY)
		return -3;
	for (int i = 0; i < n; i++)
		if (ac_tok_is(d->r, keys[i])) {
			if (*seen & (1ull << i)) {
				ac_error_set(d->err, APPCORE_EMODEL, "%s: duplicate key \"%s\"", path,
					     keys[i]);
				return -3;
			}
			*seen |= 1ull << i;
			return i;
		}
	return -1;
}

static int string_member(struct doc *d, char **out, const char *path, const char *key)
{
	int rc = expect(d, AC_TOK_STRING, path, key);

	if (rc != APPCORE_OK)
		return rc;
	free(*out);
	if ((*out = strdup(d->r->str)) == NULL)
		return ac_error_set(d->err, APPCORE_ENOMEM, "out of memory");
	return APPCORE_OK;
}

/* An array element of the wrong type or out of range. */
static int element_error(struct doc *d, const struct ac_elem_error *bad, const char *prefix,
			 const char *key, bool integers)
{
	if (bad->range && integers)
		return ac_error_set(d->err, APPCORE_EMODEL, "%s%s[%zu]: %.0f is out of range", prefix,
				    key, bad->index, bad->value);
	if (bad->range)
		return ac_error_set(d->err, APPCORE_EMODEL, "%s%s[%zu]: %g is not a finite float32",
				    prefix, key, bad->index, bad->value);
	return ac_error_set(d->err, APPCORE_EMODEL, "%s%s[%zu]: expected %s, got %s", prefix, key,
			    bad->index, integers ? "an integer" : "a number", ac_tok_name(bad->got));
}

/* Members that are numeric arrays: read after their key. prefix names where they are
 * ("learner.gradient_booster.model." or "...model: trees[3]."). */
/* The member's value must open an array. */
static int array_start(struct doc *d, const char *prefix, const char *key)
{
	if (ac_next(d->r) == AC_TOK_ERROR)
		return fail(d);
	if (d->r->tok != AC_TOK_ARRAY)
		return ac_error_set(d->err, APPCORE_EMODEL, "%s%s: expected an array, got %s", prefix,
				    key, ac_tok_name(d->r->tok));
	return APPCORE_OK;
}

static int f32_member(struct doc *d, struct ac_f32_buf *out, const char *prefix, const char *key)
{
	struct ac_elem_error bad;
	int rc;

	if ((rc = array_start(d, prefix, key)) != APPCORE_OK)
		return rc;
	out->n = 0;
	rc = ac_read_f32_array(d->r, out, &bad);
	if (rc == APPCORE_EMODEL && d->err->code == APPCORE_OK)
		return element_error(d, &bad, prefix, key, false);
	if (rc == APPCORE_OK) {
		/* NaN stays (categorical nodes have it where no value is used; the builder
		 * judges), infinities never make sense in a model */
		for (size_t i = 0; i < out->n; i++)
			if (isinf(out->v[i])) {
				bad = (struct ac_elem_error){ i, AC_TOK_REAL, out->v[i], true };
				return element_error(d, &bad, prefix, key, false);
			}
	}
	return rc;
}

static int i32_member(struct doc *d, struct ac_i32_buf *out, const char *prefix, const char *key)
{
	struct ac_elem_error bad;
	int rc;

	if ((rc = array_start(d, prefix, key)) != APPCORE_OK)
		return rc;
	out->n = 0;
	rc = ac_read_i32_array(d->r, out, &bad);
	if (rc == APPCORE_EMODEL && d->err->code == APPCORE_OK)
		return element_error(d, &bad, prefix, key, true);
	return rc;
}

/* An array of strings (feature names and types). */
static int string_list(struct doc *d, char ***out, size_t *count, const char *path)
{
	size_t cap = 0;
	int rc = expect(d, AC_TOK_ARRAY, "learner", path + strlen("learner."));

	if (rc != APPCORE_OK)
		return rc;
	for (;;) {
		ac_tok tok = ac_next(d->r);

		if (tok == AC_TOK_ARRAY_END)
			return APPCORE_OK;
		if (tok == AC_TOK_ERROR)
			return fail(d);
		if (tok != AC_TOK_STRING)
			return ac_error_set(d->err, APPCORE_EMODEL, "%s[%zu]: expected a string, got %s",
					    path, *count, ac_tok_name(tok));
		if (*count == cap) {
			size_t bigger = cap ? cap * 2 : 16;
			char **grown = realloc(*out, bigger * sizeof(*grown));

			if (grown == NULL)
				return ac_error_set(d->err, APPCORE_ENOMEM, "out of memory");
			*out = grown;
			cap = bigger;
		}
		if (((*out)[*count] = strdup(d->r->str)) == NULL)
			return ac_error_set(d->err, APPCORE_ENOMEM, "out of memory");
		(*count)++;
	}
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* ---- trees ---------------------------------------------------------------------------- */

enum tree_key {
	T_LEFT, T_RIGHT, T_SPLIT_INDEX, T_SPLIT_COND, T_DEFAULT_LEFT, T_SPLIT_TYPE, T_CAT_NODES,
	T_CAT_SEGMENTS, T_CAT_SIZES, T_CATEGORIES, T_BASE_WEIGHTS, T_LEAF_WEIGHTS, T_TREE_PARAM,
	NUM_TREE_KEYS
};
static const char *const tree_keys[] = {
	"left_children", "right_children", "split_indices", "split_conditions", "default_left",
	"split_type", "categories_nodes", "categories_segments", "categories_sizes", "categories",
	"base_weights", "leaf_weights", "tree_param",
};

/* 0/1 flags (default_left, split_type) as bytes. */
static int flags_of(struct doc *d, uint8_t *out, const struct ac_i32_buf *in, const char *prefix,
		    const char *key)
{
	for (size_t i = 0; i < in->n; i++) {
		if (in->v[i] < 0 || in->v[i] > 255)
			return ac_error_set(d->err, APPCORE_EUNSUPPORTED, "%s%s[%zu]: unknown value %d",
					    prefix, key, i, (int)in->v[i]);
		out[i] = (uint8_t)in->v[i];
	}
	return APPCORE_OK;
}

static int tree_param(struct doc *d, const char *prefix, size_t *leaf_size)
{
	static const char *const keys[] = { "size_leaf_vector" };
	unsigned long long seen = 0;
	char path[112];
	char *text = NULL;
	int k, rc = APPCORE_OK;

	snprintf(path, sizeof(path), "%stree_param", prefix);
	if (ac_next(d->r) == AC_TOK_ERROR)
		return fail(d);
	if (d->r->tok != AC_TOK_OBJECT)
		return ac_error_set(d->err, APPCORE_EMODEL, "%s: expected an object, got %s", path,
				    ac_tok_name(d->r->tok));
	while ((k = next_member(d, keys, 1, &seen, path)) != -2) {
		if (k == -3)
			rc = fail(d);
		else if (k == 0)
			rc = string_member(d, &text, path, "size_leaf_vector");
		else
			rc = skip_value(d);
		if (rc != APPCORE_OK)
			break;
	}
	if (rc == APPCORE_OK && text != NULL) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(text, &end, 10);
		if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || v > MAX_GROUPS)
			rc = ac_error_set(d->err, APPCORE_EMODEL,
					  "%s.size_leaf_vector: expected an integer 0..%u, got \"%s\"",
					  path, MAX_GROUPS, text);
		else
			*leaf_size = (size_t)v;
	}
	free(text);
	return rc;
}

static int check_length(struct doc *d, bool present, size_t got, size_t n, const char *prefix,
			const char *key, bool required)
{
	if (!present)
		return required ? ac_error_set(d->err, APPCORE_EMODEL, "%s%s: missing", prefix, key)
				: APPCORE_OK;
	if (got != n)
		return ac_error_set(d->err, APPCORE_EMODEL, "%s%s: %zu entries for %zu nodes", prefix,
				    key, got, n);
	return APPCORE_OK;
}

static int tree(struct doc *d, size_t index)
{
	struct tree_bufs *b = &d->tb;
	struct ac_tree_src src = { 0 };
	unsigned long long seen = 0;
	char prefix[96], objpath[80];
	size_t n, leaf_size = 0;
	int k, rc = APPCORE_OK;

	snprintf(prefix, sizeof(prefix), "%s: trees[%zu].", d->model_path, index);
	snprintf(objpath, sizeof(objpath), "%s: trees[%zu]", d->model_path, index);
	if (d->r->tok != AC_TOK_OBJECT)
		return ac_error_set(d->err, APPCORE_EMODEL, "%s: expected an object, got %s", objpath,
				    ac_tok_name(d->r->tok));
	while (rc == APPCORE_OK && (k = next_member(d, tree_keys, NUM_TREE_KEYS, &seen, objpath)) !=
					   -2) {
		switch (k) {
		case -3: rc = fail(d); break;
		case -1: rc = skip_value(d); break;
		case T_LEFT: rc = i32_member(d, &b->left, prefix, tree_keys[k]); break;
		case T_RIGHT: rc = i32_member(d, &b->right, prefix, tree_keys[k]); break;
		case T_SPLIT_INDEX: rc = i32_member(d, &b->split_index, prefix, tree_keys[k]); break;
		case T_DEFAULT_LEFT: rc = i32_member(d, &b->default_left, prefix, tree_keys[k]); break;
		case T_SPLIT_TYPE: rc = i32_member(d, &b->split_type, prefix, tree_keys[k]); break;
		case T_CAT_NODES: rc = i32_member(d, &b->cat_nodes, prefix, tree_keys[k]); break;
		case T_CAT_SEGMENTS: rc = i32_member(d, &b->cat_segments, prefix, tree_keys[k]); break;
		case T_CAT_SIZES: rc = i32_member(d, &b->cat_sizes, prefix, tree_keys[k]); break;
		case T_CATEGORIES: rc = i32_member(d, &b->categories, prefix, tree_keys[k]); break;
		case T_SPLIT_COND:
			/* NaN allowed here: the builder refuses it where a value is used */
			rc = f32_member(d, &b->split_cond, prefix, tree_keys[k]);
			break;
		case T_BASE_WEIGHTS: rc = f32_member(d, &b->base_weights, prefix, tree_keys[k]); break;
		case T_LEAF_WEIGHTS: rc = f32_member(d, &b->leaf_weights, prefix, tree_keys[k]); break;
		case T_TREE_PARAM: rc = tree_param(d, prefix, &leaf_size); break;
		}
	}
	if (rc != APPCORE_OK)
		return rc;
#define HAS(key) ((seen & (1ull << (key))) != 0)
	if (!HAS(T_LEFT))
		return ac_error_set(d->err, APPCORE_EMODEL, "%sleft_children: missing", prefix);
	n = b->left.n;
	if (n == 0)
		return ac_error_set(d->err, APPCORE_EMODEL, "%sleft_children: empty tree", prefix);
	if ((rc = check_length(d, HAS(T_RIGHT), b->right.n, n, prefix, "right_children", true)) !=
		    0 ||
	    (rc = check_length(d, HAS(T_SPLIT_INDEX), b->split_index.n, n, prefix, "split_indices",
			       true)) != 0 ||
	    (rc = check_length(d, HAS(T_SPLIT_COND), b->split_cond.n, n, prefix,
			       "split_conditions", true)) != 0 ||
	    (rc = check_length(d, HAS(T_DEFAULT_LEFT), b->default_left.n, n, prefix,
			       "default_left", true)) != 0 ||
	    (rc = check_length(d, HAS(T_SPLIT_TYPE), b->split_type.n, n, prefix, "split_type",
			       false)) != 0)
		return rc;
	src.num_cat_nodes = HAS(T_CAT_NODES) ? b->cat_nodes.n : 0;
	if ((HAS(T_CAT_SEGMENTS) && b->cat_segments.n != src.num_cat_nodes) ||
	    (HAS(T_CAT_SIZES) && b->cat_sizes.n != src.num_cat_nodes) ||
	    HAS(T_CAT_NODES) != HAS(T_CAT_SEGMENTS) || HAS(T_CAT_NODES) != HAS(T_CAT_SIZES))
		return ac_error_set(d->err, APPCORE_EMODEL,
				    "%s: categories_nodes, categories_segments and categories_sizes "
				    "differ in length", objpath);
	if (b->flags_cap < 2 * n) {
		uint8_t *bigger = realloc(b->flags, 2 * n);

		if (bigger == NULL)
			return ac_error_set(d->err, APPCORE_ENOMEM, "out of memory");
		b->flags = bigger;
		b->flags_cap = 2 * n;
	}
	if ((rc = flags_of(d, b->flags, &b->default_left, prefix, "default_left")) != 0)
		return rc;
	if (HAS(T_SPLIT_TYPE)) {
		if ((rc = flags_of(d, b->flags + n, &b->split_type, prefix, "split_type")) != 0)
			return rc;
		src.split_type = b->flags + n;
	}
	src.num_nodes = n;
	src.left = b->left.v;
	src.right = b->right.v;
	src.split_index = b->split_index.v;
	src.split_cond = b->split_cond.v;
	src.default_left = b->flags;
	if (HAS(T_CAT_NODES) && HAS(T_CATEGORIES)) {
		src.cat_nodes = b->cat_nodes.v;
		src.cat_segments = b->cat_segments.v;
		src.cat_sizes = b->cat_sizes.v;
		src.categories = b->categories.v;
		src.num_categories = b->categories.n;
	}
	src.leaf_size = leaf_size;
	if (HAS(T_BASE_WEIGHTS)) {
		src.base_weights = b->base_weights.v;
		src.num_base_weights = b->base_weights.n;
	}
	if (HAS(T_LEAF_WEIGHTS)) {
		src.leaf_weights = b->leaf_weights.v;
		src.num_leaf_weights = b->leaf_weights.n;
	}
#undef HAS
	rc = ac_model_add_tree(d->m, &src, index, d->err);
	if (rc != APPCORE_OK && rc != APPCORE_ENOMEM)
		ac_error_prefix(d->err, d->model_path);
	return rc;
}

static int trees(struct doc *d)
{
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "%s", d->model_path);
	if ((rc = expect(d, AC_TOK_ARRAY, path, "trees")) != APPCORE_OK)
		return rc;
	d->num_trees = 0;
	for (;;) {
		ac_tok tok = ac_next(d->r);

		if (tok == AC_TOK_ARRAY_END)
			return APPCORE_OK;
		if (tok == AC_TOK_ERROR)
			return fail(d);
		if ((rc = tree(d, d->num_trees)) != APPCORE_OK)
			return rc;
		d->num_trees++;
	}
}

/* ---- gradient_booster ---------------------------------------------------------------- */

static int gbtree_model_param(struct doc *d)
{
	static const char *const keys[] = { "num_parallel_tree" };
	unsigned long long seen = 0;
	char path[80];
	int k, rc;

	snprintf(path, sizeof(path), "%s.gbtree_model_param", d->model_path);
	if ((rc = expect(d, AC_TOK_OBJECT, d->model_path, "gbtree_model_param")) != APPCORE_OK)
		return rc;
	while ((k = next_member(d, keys, 1, &seen, path)) != -2) {
		if (k == -3)
			return fail(d);
		rc = k == 0 ? string_member(d, &d->num_parallel_tree, path, keys[0]) : skip_value(d);
		if (rc != APPCORE_OK)
			return rc;
	}
	return APPCORE_OK;
}

enum model_key {
	M_PARAM, M_TREES, M_TREE_INFO, M_INDPTR, M_WEIGHT_DROP, M_WEIGHTS, M_ROUNDS, NUM_MODEL_KEYS
};

/* A "model" object: trees (gbtree, dart) or weights (gblinear). */
static int model(struct doc *d, const char *path)
{
	static const char *const keys[] = { "gbtree_model_param", "trees", "tree_info",
					    "iteration_indptr", "weight_drop", "weights",
					    "boosted_rounds" };
	unsigned long long seen = 0;
	char prefix[64];
	int k, rc;

	if (d->has_model)
		return ac_error_set(d->err, APPCORE_EMODEL,
				    "learner.gradient_booster: a second model at %s", path);
	d->has_model = true;
	snprintf(d->model_path, sizeof(d->model_path), "%s", path);
	snprintf(prefix, sizeof(prefix), "%s.", path);
	while ((k = next_member(d, keys, NUM_MODEL_KEYS, &seen, path)) != -2) {
		switch (k) {
		case -3: return fail(d);
		case -1: rc = skip_value(d); break;
		case M_PARAM:
			d->has_gbtree_param = true;
			rc = gbtree_model_param(d);
			break;
		case M_TREES:
			d->has_trees = true;
			rc = trees(d);
			break;
		case M_TREE_INFO:
			d->has_tree_info = true;
			rc = i32_member(d, &d->tree_info, prefix, keys[k]);
			break;
		case M_INDPTR:
			d->has_indptr = true;
			rc = i32_member(d, &d->indptr, prefix, keys[k]);
			break;
		case M_WEIGHT_DROP:
			d->has_weight_drop_inner = true;
			rc = f32_member(d, &d->weight_drop_inner, prefix, keys[k]);
			break;
		case M_WEIGHTS:
			d->has_linear = true;
			rc = f32_member(d, &d->linear, prefix, keys[k]);
			break;
		default: /* M_ROUNDS */
			rc = ac_next(d->r) == AC_TOK_ERROR ? fail(d) : APPCORE_OK;
			if (rc == APPCORE_OK && d->r->tok != AC_TOK_INTEGER)
				rc = ac_error_set(d->err, APPCORE_EMODEL,
						  "%s.boosted_rounds: expected an integer, got %s", path,
						  ac_tok_name(d->r->tok));
			d->boosted_rounds = d->r->integer;
			break;
		}
		if (rc != APPCORE_OK)
			return rc;
	}
	return APPCORE_OK;
}

/* The "gbtree" object inside a "dart" booster (XGBoost before 3.3). */
static int dart_inner(struct doc *d)
{
	static const char *const keys[] = { "model" };
	const char *path = "learner.gradient_booster.gbtree";
	unsigned long long seen = 0;
	int k, rc;

	d->has_inner = true;
	if ((rc = expect(d, AC_TOK_OBJECT, "learner.gradient_booster", "gbtree")) != APPCORE_OK)
		return rc;
	while ((k = next_member(d, keys, 1, &seen, path)) != -2) {
		if (k == -3)
			return fail(d);
		if (k == 0) {
			if ((rc = expect(d, AC_TOK_OBJECT, path, "model")) != APPCORE_OK ||
			    (rc = model(d, "learner.gradient_booster.gbtree.model")) != APPCORE_OK)
				return rc;
		} else if ((rc = skip_value(d)) != APPCORE_OK) {
			return rc;
		}
	}
	return APPCORE_OK;
}

static int gradient_booster(struct doc *d)
{
	static const char *const keys[] = { "name", "model", "gbtree", "weight_drop" };
	const char *path = "learner.gradient_booster";
	unsigned long long seen = 0;
	int k, rc;

	d->has_booster = true;
	if ((rc = expect(d, AC_TOK_OBJECT, "learner", "gradient_booster")) != APPCORE_OK)
		return rc;
	while ((k = next_member(d, keys, 4, &seen, path)) != -2) {
		switch (k) {
		case -3: return fail(d);
		case -1: rc = skip_value(d); break;
		case 0: rc = string_member(d, &d->booster_name, path, "name"); break;
		case 1:
			rc = expect(d, AC_TOK_OBJECT, path, "model");
			if (rc == APPCORE_OK)
				rc = model(d, "learner.gradient_booster.model");
			break;
		case 2: rc = dart_inner(d); break;
		default:
			d->has_weight_drop_outer = true;
			rc = f32_member(d, &d->weight_drop_outer, "learner.gradient_booster.",
					"weight_drop");
			break;
		}
		if (rc != APPCORE_OK)
			return rc;
	}
	return APPCORE_OK;
}

/* ---- learner --------------------------------------------------------------------------- */

static int learner_model_param(struct doc *d)
{
	static const char *const keys[] = { "base_score", "num_class", "num_feature", "num_target" };
	const char *path = "learner.learner_model_param";
	char **fields[] = { &d->base_score, &d->num_class, &d->num_feature, &d->num_target };
	unsigned long long seen = 0;
	int k, rc;

	d->has_model_param = true;
	if ((rc = expect(d, AC_TOK_OBJECT, "learner", "learner_model_param")) != APPCORE_OK)
		return rc;
	while ((k = next_member(d, keys, 4, &seen, path)) != -2) {
		if (k == -3)
			return fail(d);
		rc = k >= 0 ? string_member(d, fields[k], path, keys[k]) : skip_value(d);
		if (rc != APPCORE_OK)
			return rc;
	}
	return APPCORE_OK;
}

static int objective(struct doc *d)
{
	static const char *const keys[] = { "name" };
	unsigned long long seen = 0;
	int k, rc;

	d->has_objective = true;
	if ((rc = expect(d, AC_TOK_OBJECT, "learner", "objective")) != APPCORE_OK)
		return rc;
	while ((k = next_member(d, keys, 1, &seen, "learner.objective")) != -2) {
		if (k == -3)
			return fail(d);
		rc = k == 0 ? string_member(d, &d->objective, "learner.objective", "name")
			    : skip_value(d);
		if (rc != APPCORE_OK)
			return rc;
	}
	return APPCORE_OK;
}

static int attributes(struct doc *d)
{
	static const char *const keys[] = { "best_iteration" };
	unsigned long long seen = 0;
	int k, rc;

	if ((rc = expect(d, AC_TOK_OBJECT, "learner", "attributes")) != APPCORE_OK)
		return rc;
	while ((k = next_member(d, keys, 1, &seen, "learner.attributes")) != -2) {
		if (k == -3)
			return fail(d);
		rc = k == 0 ? string_member(d, &d->best_iteration, "learner.attributes",
					    "best_iteration")
			    : skip_value(d);
		if (rc != APPCORE_OK)
			return rc;
	}
	return APPCORE_OK;
}

static int learner(struct doc *d)
{
	static const char *const keys[] = { "attributes", "feature_names", "feature_types",
					    "gradient_booster", "learner_model_param", "objective" };
	unsigned long long seen = 0;
	int k, rc;

	d->has_learner = true;
	if ((rc = expect(d, AC_TOK_OBJECT, "model", "learner")) != APPCORE_OK)
		return rc;
	while ((k = next_member(d, keys, 6, &seen, "learner")) != -2) {
		switch (k) {
		case -3: return fail(d);
		case -1: rc = skip_value(d); break;
		case 0: rc = attributes(d); break;
		case 1:
			d->has_feature_names = true;
			rc = string_list(d, &d->feature_names, &d->num_feature_names,
					 "learner.feature_names");
			break;
		case 2:
			d->has_feature_types = true;
			rc = string_list(d, &d->feature_types, &d->num_feature_types,
					 "learner.feature_types");
			break;
		case 3: rc = gradient_booster(d); break;
		case 4: rc = learner_model_param(d); break;
		default: rc = objective(d); break;
		}
		if (rc != APPCORE_OK)
			return rc;
	}
	return APPCORE_OK;
}

static int version(struct doc *d)
{
	appcore_model *m = d->m;
	int parts[4], n = 0;
	bool valid = true;
	size_t used = 0;

	if (ac_next(d->r) == AC_TOK_ERROR)
		return fail(d);
	if (d->r->tok != AC_TOK_ARRAY)
		return ac_skip(d->r); /* not what XGBoost writes: the version stays unknown */
	for (;;) {
		ac_tok tok = ac_next(d->r);

		if (tok == AC_TOK_ARRAY_END)
			break;
		if (tok == AC_TOK_ERROR)
			return fail(d);
		if (tok != AC_TOK_INTEGER || n == 4 || d->r->integer < 0 || d->r->integer > 999999) {
			valid = false;
			if (ac_skip(d->r) != APPCORE_OK)
				return fail(d);
			continue;
		}
		parts[n++] = (int)d->r->integer;
	}
	if (!valid || n == 0)
		return APPCORE_OK;
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(m->xgboost_version + used, sizeof(m->xgboost_version) - used,
					 "%s%d", i ? "." : "", parts[i]);
	for (int i = 0; i < 3; i++)
		m->release[i] = i < n ? parts[i] : 0;
	return APPCORE_OK;
}

static int root(struct doc *d)
{
	static const char *const keys[] = { "learner", "version", "Model", "Config" };
	unsigned long long seen = 0;
	int k, rc;

	if (ac_next(d->r) == AC_TOK_ERROR)
		return fail(d);
	if (d->r->tok != AC_TOK_OBJECT)
		return ac_error_set(d->err, APPCORE_EMODEL, "expected a%s object at the top, got %s",
				    d->r->format == AC_FORMAT_JSON ? " JSON" : "n",
				    ac_tok_name(d->r->tok));
	while ((k = next_member(d, keys, 4, &seen, "model")) != -2) {
		switch (k) {
		case -3: return fail(d);
		case 0: rc = learner(d); break;
		case 1: rc = version(d); break;
		default:
			/* Booster.save_raw() / pickle snapshots: {"Config": ..., "Model": ...} */
			if (k >= 2)
				d->snapshot = true;
			rc = skip_value(d);
			break;
		}
		if (rc != APPCORE_OK)
			return rc;
	}
	if (ac_next(d->r) != AC_TOK_END)
		return fail(d);
	return APPCORE_OK;
}

/* ---- after the document ------------------------------------------------------------------ */

/* XGBoost writes integer parameters as strings ("num_class": "3"). */
static int string_param(size_t *out, const char *text, const char *key, const char *fallback,
			size_t min, size_t max, const char *path, appcore_error *err)
{
	unsigned long long value;
	char *end;

	*out = 0;
	if (text == NULL)
		text = fallback;
	if (text == NULL)
		return ac_error_set(err, APPCORE_EMODEL, "%s.%s: missing", path, key);
	errno = 0;
	value = strtoull(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || value > max ||
	    value < min)
		return ac_error_set(err, APPCORE_EMODEL, "%s.%s: expected an integer %zu..%zu, got \"%s\"",
				    path, key, min, max, text);
	*out = (size_t)value;
	return APPCORE_OK;
}

/* "5E-1" (XGBoost <= 3.0) or "[5E-1]" / "[a,b,c]" (3.1+, per output group). */
static int parse_base_score(appcore_model *m, const char *text, appcore_error *err)
{
	const char *p = text;
	bool bracketed;
	size_t count = 0, bad;

	while (*p == ' ')
		p++;
	bracketed = *p == '[';
	if (bracketed)
		p++;
	for (;;) {
		char *end;
		float value;

		while (*p == ' ')
			p++;
		errno = 0;
		value = strtof(p, &end);
		if (end == p || (errno == ERANGE && value != 0.0f && fabsf(value) >= 1.0f) ||
		    !isfinite(value))
			break;
		if (count == m->num_groups)
			return ac_error_set(err, APPCORE_EMODEL,
					    "learner.learner_model_param.base_score: \"%s\" has more "
					    "than %zu values", text, m->num_groups);
		m->base_score[count++] = value;
		p = end;
		while (*p == ' ')
			p++;
		if (!bracketed || *p != ',')
			break;
		p++;
	}
	if (bracketed && *p == ']')
		p++;
	while (*p == ' ')
		p++;
	if (count == 0 || *p != '\0' || (bracketed && p[-1] != ']'))
		return ac_error_set(err, APPCORE_EMODEL,
				    "learner.learner_model_param.base_score: expected a number or a "
				    "[list] of numbers, got \"%s\"", text);
	if (count != 1 && count != m->num_groups)
		return ac_error_set(err, APPCORE_EMODEL,
				    "learner.learner_model_param.base_score: %zu values for %zu outputs",
				    count, m->num_groups);
	for (size_t g = count; g < m->num_groups; g++)
		m->base_score[g] = m->base_score[0];
	if (!ac_objective_base_margins(m->objective, m->base_score, m->num_groups, m->base_margin,
				       &bad))
		return ac_error_set(err, APPCORE_EMODEL,
				    "learner.learner_model_param.base_score: %.9g is outside "
				    "the range of %s", (double)m->base_score[bad], m->objective->name);
	return APPCORE_OK;
}

static int compare_slots(const void *a, const void *b)
{
	return strcmp(((const ac_feature_slot *)a)->name, ((const ac_feature_slot *)b)->name);
}

static int features(struct doc *d)
{
	appcore_model *m = d->m;

	if (d->num_feature_names > 0 && d->num_feature_names != m->num_features)
		return ac_error_set(d->err, APPCORE_EMODEL, "learner.feature_names: %zu entries for "
				    "%zu features", d->num_feature_names, m->num_features);
	if (d->num_feature_types > 0 && d->num_feature_types != m->num_features)
		return ac_error_set(d->err, APPCORE_EMODEL, "learner.feature_types: %zu entries for "
				    "%zu features", d->num_feature_types, m->num_features);
	if (d->num_feature_types > 0) {
		m->feature_types = d->feature_types;
		d->feature_types = NULL;
		d->num_feature_types = 0;
	}
	if (d->num_feature_names == 0)
		return APPCORE_OK;
	m->feature_names = d->feature_names;
	d->feature_names = NULL;
	d->num_feature_names = 0;
	m->feature_index = malloc(m->num_features * sizeof(*m->feature_index));
	if (m->feature_index == NULL)
		return ac_error_set(d->err, APPCORE_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->num_features; i++)
		m->feature_index[i] = (ac_feature_slot){ m->feature_names[i], i };
	qsort(m->feature_index, m->num_features, sizeof(*m->feature_index), compare_slots);
	for (size_t i = 1; i < m->num_features; i++)
		if (strcmp(m->feature_index[i - 1].name, m->feature_index[i].name) == 0)
			return ac_error_set(d->err, APPCORE_EMODEL,
					    "learner.feature_names: \"%s\" appears twice",
					    m->feature_index[i].name);
	return APPCORE_OK;
}

static int finish_trees(struct doc *d, bool dart)
{
	appcore_model *m = d->m;
	struct ac_trees_info info = { 0 };
	char param_path[80], weights_path[80], indptr_path[80];
	const struct ac_f32_buf *weights = NULL;
	int rc;

	if (!d->has_gbtree_param || !d->has_trees || !d->has_tree_info)
		return ac_error_set(d->err, APPCORE_EMODEL, "%s.%s: missing", d->model_path,
				    !d->has_gbtree_param ? "gbtree_model_param"
				    : !d->has_trees	 ? "trees"
							 : "tree_info");
	snprintf(param_path, sizeof(param_path), "%s.gbtree_model_param", d->model_path);
	if ((rc = string_param(&m->num_parallel_tree, d->num_parallel_tree, "num_parallel_tree", "1",
			       1, 1u << 20, param_path, d->err)) != 0)
		return rc;
	/* weight_drop beside the trees' model (3.3, and "dart" before) wins over the one inside
	 * it (3.4), as in GBTree::LoadModel */
	if (d->has_weight_drop_outer) {
		weights = &d->weight_drop_outer;
		snprintf(weights_path, sizeof(weights_path), "learner.gradient_booster.weight_drop");
	} else if (d->has_weight_drop_inner) {
		weights = &d->weight_drop_inner;
		snprintf(weights_path, sizeof(weights_path), "%s.weight_drop", d->model_path);
	}
	m->booster = dart || weights ? AC_BOOSTER_DART : AC_BOOSTER_GBTREE;
	snprintf(indptr_path, sizeof(indptr_path), "%s.iteration_indptr", d->model_path);
	info.path = d->model_path;
	info.groups = d->tree_info.v;
	info.num_groups_entries = d->tree_info.n;
	info.weights = weights ? weights->v : NULL;
	info.num_weights = weights ? weights->n : 0;
	info.weights_path = weights_path;
	info.iteration_indptr = d->has_indptr ? d->indptr.v : NULL;
	info.num_indptr = d->indptr.n;
	info.indptr_path = indptr_path;
	return ac_model_finish_trees(m, &info, d->err);
}

static int finish_linear(struct doc *d)
{
	appcore_model *m = d->m;
	const size_t expected = (m->num_features + 1) * m->num_groups;

	if (!d->has_linear)
		return ac_error_set(d->err, APPCORE_EMODEL, "%s.weights: missing", d->model_path);
	if (d->linear.n != expected)
		return ac_error_set(d->err, APPCORE_EMODEL,
				    "%s.weights: %zu entries, expected (num_feature + 1) * %zu = %zu",
				    d->model_path, d->linear.n, m->num_groups, expected);
	for (size_t i = 0; i < expected; i++)
		if (!isfinite(d->linear.v[i]))
			return ac_error_set(d->err, APPCORE_EMODEL,
					    "%s.weights[%zu]: expected a finite number", d->model_path,
					    i);
	m->booster = AC_BOOSTER_GBLINEAR;
	m->linear_weights = d->linear.v;
	d->linear.v = NULL;
	m->num_iterations = d->boosted_rounds > 0 ? (size_t)d->boosted_rounds : 0;
	return APPCORE_OK;
}

static int finish_booster(struct doc *d)
{
	const char *path = "learner.gradient_booster";
	const char *name = d->booster_name;

	if (!d->has_booster)
		return ac_error_set(d->err, APPCORE_EMODEL, "learner.gradient_booster: missing");
	if (name == NULL)
		return ac_error_set(d->err, APPCORE_EMODEL, "%s.name: missing", path);
	if (strcmp(name, "gbtree") == 0 || strcmp(name, "gblinear") == 0) {
		if (!d->has_model || d->has_inner)
			return ac_error_set(d->err, APPCORE_EMODEL, "%s.model: missing", path);
		return strcmp(name, "gbtree") == 0 ? finish_trees(d, false) : finish_linear(d);
	}
	if (strcmp(name, "dart") == 0) {
		if (!d->has_inner)
			return ac_error_set(d->err, APPCORE_EMODEL, "%s.gbtree: missing", path);
		if (!d->has_model)
			return ac_error_set(d->err, APPCORE_EMODEL, "%s.gbtree.model: missing", path);
		return finish_trees(d, true);
	}
	return ac_error_set(d->err, APPCORE_EUNSUPPORTED, "%s.name: unsupported booster \"%s\"",
			    path, name);
}

static int finish(struct doc *d)
{
	appcore_model *m = d->m;
	const char *path = "learner.learner_model_param";
	const int version = m->release[0] * 10000 + m->release[1] * 100 + m->release[2];
	size_t num_class, num_target;
	int rc;

	if (!d->has_learner)
		return d->snapshot
			       ? ac_error_set(d->err, APPCORE_EUNSUPPORTED,
					      "this is an XGBoost memory snapshot (pickle or "
					      "Booster.save_raw()), not a model file: save the model "
					      "with booster.save_model(\"model.json\") or "
					      "(\"model.ubj\")")
			       : ac_error_set(d->err, APPCORE_EMODEL, "model.learner: missing");
	if (!d->has_model_param)
		return ac_error_set(d->err, APPCORE_EMODEL, "learner.learner_model_param: missing");
	if (!d->has_objective)
		return ac_error_set(d->err, APPCORE_EMODEL, "learner.objective: missing");
	if (d->objective == NULL)
		return ac_error_set(d->err, APPCORE_EMODEL, "learner.objective.name: missing");
	if (d->base_score == NULL)
		return ac_error_set(d->err, APPCORE_EMODEL, "%s.base_score: missing", path);
	if ((rc = string_param(&m->num_features, d->num_feature, "num_feature", NULL, 0,
			       MAX_FEATURES, path, d->err)) != 0 ||
	    (rc = string_param(&num_class, d->num_class, "num_class", "0", 0, MAX_GROUPS, path,
			       d->err)) != 0 ||
	    (rc = string_param(&num_target, d->num_target, "num_target", "1", 0, MAX_GROUPS, path,
			       d->err)) != 0)
		return rc;
	if (m->num_features == 0)
		return ac_error_set(d->err, APPCORE_EMODEL, "%s.num_feature: the model has no features",
				    path);
	m->objective = ac_objective_find(d->objective, version);
	if (m->objective == NULL)
		return ac_error_set(d->err, APPCORE_EUNSUPPORTED,
				    "learner.objective.name: unsupported objective \"%s\"", d->objective);
	if (num_class > 0 && num_target > 1)
		return ac_error_set(d->err, APPCORE_EUNSUPPORTED,
				    "num_class %zu with num_target %zu is not supported", num_class,
				    num_target);
	if (m->objective->multiclass && num_class == 0)
		return ac_error_set(d->err, APPCORE_EMODEL, "%s.num_class: %s needs num_class >= 1",
				    path, m->objective->name);
	m->num_groups = num_class > 0 ? num_class : (num_target > 0 ? num_target : 1);
	m->base_score = malloc(m->num_groups * sizeof(float));
	m->base_margin = malloc(m->num_groups * sizeof(float));
	if (m->base_score == NULL || m->base_margin == NULL)
		return ac_error_set(d->err, APPCORE_ENOMEM, "out of memory");
	if ((rc = parse_base_score(m, d->base_score, d->err)) != 0 || (rc = features(d)) != 0 ||
	    (rc = finish_booster(d)) != 0)
		return rc;
	m->best_iteration = -1;
	if (d->best_iteration != NULL) {
		size_t best;

		if ((rc = string_param(&best, d->best_iteration, "best_iteration", NULL, 0,
				       (size_t)INT32_MAX, "learner.attributes", d->err)) != 0)
			return rc;
		m->best_iteration = (long)best;
	}
	return APPCORE_OK;
}

static void doc_free(struct doc *d)
{
	struct tree_bufs *b = &d->tb;
	struct ac_i32_buf *ints[] = { &b->left, &b->right, &b->split_index, &b->default_left,
				      &b->split_type, &b->cat_nodes, &b->cat_segments,
				      &b->cat_sizes, &b->categories, &d->tree_info, &d->indptr };
	struct ac_f32_buf *floats[] = { &b->split_cond, &b->base_weights, &b->leaf_weights,
					&d->weight_drop_outer, &d->weight_drop_inner, &d->linear };

	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		free(ints[i]->v);
	for (size_t i = 0; i < sizeof(floats) / sizeof(floats[0]); i++)
		free(floats[i]->v);
	free(b->flags);
	free_list(d->feature_names, d->num_feature_names);
	free_list(d->feature_types, d->num_feature_types);
	free(d->objective);
	free(d->base_score);
	free(d->num_feature);
	free(d->num_class);
	free(d->num_target);
	free(d->best_iteration);
	free(d->booster_name);
	free(d->num_parallel_tree);
}

int ac_model_read_document(appcore_model *m, struct ac_reader *r, appcore_error *err)
{
	struct doc d = { 0 };
	int rc;

	d.m = m;
	d.r = r;
	d.err = err;
	snprintf(m->xgboost_version, sizeof(m->xgboost_version), "unknown");
	rc = root(&d);
	if (rc == APPCORE_OK)
		rc = finish(&d);
	doc_free(&d);
	return rc;
}
