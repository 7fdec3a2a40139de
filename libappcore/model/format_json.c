/* XGBoost JSON model files: the document is checked field by field and each tree handed to
 * the builder (build.h) in its neutral form. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/error_internal.h"
#include "core/json_depth.h"
#include "core/json_nan.h"
#include "model/build.h"
#include "model/model_internal.h"

#define MAX_FEATURES ((size_t)AC_NODE_FEATURE_MASK)
#define MAX_GROUPS 65536u

static const char *type_name(const json_t *v)
{
	if (v == NULL)
		return "nothing";
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "value";
}

static const char *expected_name(json_type type)
{
	switch (type) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	default: return "a value";
	}
}

/* obj[key] of the given type; path names obj in messages. */
static json_t *member(const json_t *obj, const char *key, json_type type, const char *path,
		      appcore_error *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL) {
		ac_error_set(err, APPCORE_EMODEL, "%s.%s: missing", path, key);
		return NULL;
	}
	if (json_typeof(v) != type) {
		ac_error_set(err, APPCORE_EMODEL, "%s.%s: expected %s, got %s", path, key,
			     expected_name(type), type_name(v));
		return NULL;
	}
	return v;
}

/* XGBoost writes integer parameters as strings ("num_class": "3"). */
static int string_param(size_t *out, const json_t *obj, const char *key, const char *fallback,
			size_t max, const char *path, appcore_error *err)
{
	const json_t *v = json_object_get(obj, key);
	const char *text = fallback;
	unsigned long long value;
	char *end;

	*out = 0; /* defined on every path, the error paths included */

	if (v != NULL && !json_is_string(v))
		return ac_error_set(err, APPCORE_EMODEL, "%s.%s: expected a string, got %s", path,
				    key, type_name(v));
	if (v != NULL)
		text = json_string_value(v);
	if (text == NULL)
		return ac_error_set(err, APPCORE_EMODEL, "%s.%s: missing", path, key);
	errno = 0;
	value = strtoull(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || value > max)
		return ac_error_set(err, APPCORE_EMODEL, "%s.%s: expected an integer 0..%zu, got \"%s\"",
				    path, key, max, text);
	*out = (size_t)value;
	return APPCORE_OK;
}

/* "5E-1" (XGBoost <= 3.0) or "[5E-1]" / "[a,b,c]" (3.1+, per output group). */
static int parse_base_score(appcore_model *m, const char *text, appcore_error *err)
{
	const char *p = text;
	bool bracketed;
	size_t count = 0;

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
		if (end == p || errno == ERANGE || !isfinite(value))
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
	for (size_t g = 0; g < m->num_groups; g++) {
		float score = m->base_score[count == 1 ? 0 : g];

		m->base_score[g] = score;
		if (!ac_objective_base_margin(m->objective, score, &m->base_margin[g]))
			return ac_error_set(err, APPCORE_EMODEL,
					    "learner.learner_model_param.base_score: %.9g is outside "
					    "the range of %s", (double)score, m->objective->name);
	}
	return APPCORE_OK;
}

static char **string_list(const json_t *arr, size_t expected, const char *path, int *rc,
			  appcore_error *err)
{
	size_t n = json_array_size(arr);
	char **list;

	*rc = APPCORE_OK;
	if (n == 0)
		return NULL;
	if (n != expected) {
		*rc = ac_error_set(err, APPCORE_EMODEL, "%s: %zu entries for %zu features", path, n,
				   expected);
		return NULL;
	}
	list = calloc(n, sizeof(*list));
	if (list == NULL) {
		*rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(arr, i);

		if (!json_is_string(v)) {
			*rc = ac_error_set(err, APPCORE_EMODEL, "%s[%zu]: expected a string, got %s",
					   path, i, type_name(v));
		} else if ((list[i] = strdup(json_string_value(v))) == NULL) {
			*rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		}
		if (*rc != APPCORE_OK) {
			for (size_t j = 0; j < i; j++)
				free(list[j]);
			free(list);
			return NULL;
		}
	}
	return list;
}

static int compare_slots(const void *a, const void *b)
{
	return strcmp(((const ac_feature_slot *)a)->name, ((const ac_feature_slot *)b)->name);
}

static int parse_features(appcore_model *m, const json_t *learner, appcore_error *err)
{
	const json_t *names = json_object_get(learner, "feature_names");
	const json_t *types = json_object_get(learner, "feature_types");
	int rc = APPCORE_OK;

	if (names != NULL && !json_is_array(names))
		return ac_error_set(err, APPCORE_EMODEL, "learner.feature_names: expected an array, got %s",
				    type_name(names));
	if (types != NULL && !json_is_array(types))
		return ac_error_set(err, APPCORE_EMODEL, "learner.feature_types: expected an array, got %s",
				    type_name(types));
	m->feature_names = string_list(names, m->num_features, "learner.feature_names", &rc, err);
	if (rc != APPCORE_OK)
		return rc;
	m->feature_types = string_list(types, m->num_features, "learner.feature_types", &rc, err);
	if (rc != APPCORE_OK || m->feature_names == NULL)
		return rc;
	m->feature_index = malloc(m->num_features * sizeof(*m->feature_index));
	if (m->feature_index == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->num_features; i++)
		m->feature_index[i] = (ac_feature_slot){ m->feature_names[i], i };
	qsort(m->feature_index, m->num_features, sizeof(*m->feature_index), compare_slots);
	for (size_t i = 1; i < m->num_features; i++)
		if (strcmp(m->feature_index[i - 1].name, m->feature_index[i].name) == 0)
			return ac_error_set(err, APPCORE_EMODEL,
					    "learner.feature_names: \"%s\" appears twice",
					    m->feature_index[i].name);
	return APPCORE_OK;
}

/* The arrays of one tree, fetched and length-checked once. */
struct tree_arrays {
	const json_t *left, *right, *split_index, *split_cond, *default_left, *split_type;
	const json_t *cat_nodes, *cat_segments, *cat_sizes, *categories;
	size_t n;
	char path[64];
};

static int tree_array(const json_t **out, const json_t *tree, const char *key, bool required,
		      size_t n, struct tree_arrays *t, appcore_error *err)
{
	const json_t *v = json_object_get(tree, key);

	*out = NULL;
	if (v == NULL && !required)
		return APPCORE_OK;
	if (v == NULL)
		return ac_error_set(err, APPCORE_EMODEL, "%s.%s: missing", t->path, key);
	if (!json_is_array(v))
		return ac_error_set(err, APPCORE_EMODEL, "%s.%s: expected an array, got %s", t->path,
				    key, type_name(v));
	if (n != (size_t)-1 && json_array_size(v) != n)
		return ac_error_set(err, APPCORE_EMODEL, "%s.%s: %zu entries for %zu nodes", t->path,
				    key, json_array_size(v), n);
	*out = v;
	return APPCORE_OK;
}

/* An integer array (booleans count as 0/1) into int32 values. */
static int int_array(int32_t *out, const json_t *arr, const char *key, const struct tree_arrays *t,
		     appcore_error *err)
{
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *v = json_array_get(arr, i);
		json_int_t value;

		if (json_is_integer(v))
			value = json_integer_value(v);
		else if (json_is_boolean(v))
			value = json_is_true(v);
		else
			return ac_error_set(err, APPCORE_EMODEL, "%s.%s[%zu]: expected an integer, got %s",
					    t->path, key, i, type_name(v));
		if (value < INT32_MIN || value > INT32_MAX)
			return ac_error_set(err, APPCORE_EMODEL, "%s.%s[%zu]: %lld is out of range",
					    t->path, key, i, (long long)value);
		out[i] = (int32_t)value;
	}
	return APPCORE_OK;
}

static int flag_array(uint8_t *out, const json_t *arr, const char *key, const struct tree_arrays *t,
		      int32_t *scratch, appcore_error *err)
{
	int rc = int_array(scratch, arr, key, t, err);

	for (size_t i = 0; rc == APPCORE_OK && i < json_array_size(arr); i++) {
		if (scratch[i] < 0 || scratch[i] > 255)
			return ac_error_set(err, APPCORE_EUNSUPPORTED, "%s.%s[%zu]: unknown value %d",
					    t->path, key, i, (int)scratch[i]);
		out[i] = (uint8_t)scratch[i];
	}
	return rc;
}

/* Numbers into float32; null (XGBoost's NaN, see rewrite_nan) becomes NaN, which the tree
 * builder accepts only where the value is unused. */
static int float_array(float *out, const json_t *arr, const char *key, const struct tree_arrays *t,
		       appcore_error *err)
{
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *v = json_array_get(arr, i);
		double d;

		if (json_is_null(v)) {
			out[i] = NAN;
			continue;
		}
		if (!json_is_number(v))
			return ac_error_set(err, APPCORE_EMODEL, "%s.%s[%zu]: expected a number, got %s",
					    t->path, key, i, type_name(v));
		d = json_number_value(v);
		out[i] = (float)d;
		if (!isfinite(out[i]))
			return ac_error_set(err, APPCORE_EMODEL, "%s.%s[%zu]: %g is not a finite float32",
					    t->path, key, i, d);
	}
	return APPCORE_OK;
}

/* Decode one tree object into the builder's neutral form and add it. */
static int parse_tree(appcore_model *m, const json_t *tree, size_t index, uint32_t group,
		      float weight, appcore_error *err)
{
	struct tree_arrays t = { 0 };
	struct ac_tree_src src = { 0 };
	int32_t *ints = NULL;
	float *conds = NULL;
	uint8_t *flags = NULL;
	size_t n, num_cats;
	int rc;

	snprintf(t.path, sizeof(t.path), "trees[%zu]", index);
	if (!json_is_object(tree))
		return ac_error_set(err, APPCORE_EMODEL, "%s: expected an object, got %s", t.path,
				    type_name(tree));
	if ((rc = tree_array(&t.left, tree, "left_children", true, (size_t)-1, &t, err)) != 0)
		return rc;
	t.n = n = json_array_size(t.left);
	if (n == 0)
		return ac_error_set(err, APPCORE_EMODEL, "%s.left_children: empty tree", t.path);
	if ((rc = tree_array(&t.right, tree, "right_children", true, n, &t, err)) != 0 ||
	    (rc = tree_array(&t.split_index, tree, "split_indices", true, n, &t, err)) != 0 ||
	    (rc = tree_array(&t.split_cond, tree, "split_conditions", true, n, &t, err)) != 0 ||
	    (rc = tree_array(&t.default_left, tree, "default_left", true, n, &t, err)) != 0 ||
	    (rc = tree_array(&t.split_type, tree, "split_type", false, n, &t, err)) != 0 ||
	    (rc = tree_array(&t.cat_nodes, tree, "categories_nodes", false, -1, &t, err)) != 0 ||
	    (rc = tree_array(&t.cat_segments, tree, "categories_segments", false, -1, &t, err)) ||
	    (rc = tree_array(&t.cat_sizes, tree, "categories_sizes", false, -1, &t, err)) != 0 ||
	    (rc = tree_array(&t.categories, tree, "categories", false, -1, &t, err)) != 0)
		return rc;
	src.num_cat_nodes = json_array_size(t.cat_nodes);
	num_cats = json_array_size(t.categories);
	if ((t.cat_segments && json_array_size(t.cat_segments) != src.num_cat_nodes) ||
	    (t.cat_sizes && json_array_size(t.cat_sizes) != src.num_cat_nodes) ||
	    (t.cat_nodes != NULL) != (t.cat_segments != NULL) ||
	    (t.cat_nodes != NULL) != (t.cat_sizes != NULL))
		return ac_error_set(err, APPCORE_EMODEL,
				    "%s: categories_nodes, categories_segments and categories_sizes "
				    "differ in length", t.path);

	/* left, right, split_index, scratch, then the category arrays */
	ints = malloc((4 * n + 3 * src.num_cat_nodes + num_cats + 1) * sizeof(*ints));
	conds = malloc(n * sizeof(*conds));
	flags = malloc(2 * n);
	if (ints == NULL || conds == NULL || flags == NULL) {
		rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		goto out;
	}
	src.num_nodes = n;
	src.left = ints;
	src.right = ints + n;
	src.split_index = ints + 2 * n;
	src.split_cond = conds;
	src.default_left = flags;
	src.group = group;
	src.weight = weight;
	if ((rc = int_array(ints, t.left, "left_children", &t, err)) != 0 ||
	    (rc = int_array(ints + n, t.right, "right_children", &t, err)) != 0 ||
	    (rc = int_array(ints + 2 * n, t.split_index, "split_indices", &t, err)) != 0 ||
	    (rc = float_array(conds, t.split_cond, "split_conditions", &t, err)) != 0 ||
	    (rc = flag_array(flags, t.default_left, "default_left", &t, ints + 3 * n, err)) != 0)
		goto out;
	if (t.split_type != NULL) {
		if ((rc = flag_array(flags + n, t.split_type, "split_type", &t, ints + 3 * n, err)) != 0)
			goto out;
		src.split_type = flags + n;
	}
	if (t.cat_nodes != NULL && t.categories != NULL) {
		int32_t *cat = ints + 4 * n;

		src.cat_nodes = cat;
		src.cat_segments = cat + src.num_cat_nodes;
		src.cat_sizes = cat + 2 * src.num_cat_nodes;
		src.categories = cat + 3 * src.num_cat_nodes;
		src.num_categories = num_cats;
		if ((rc = int_array(cat, t.cat_nodes, "categories_nodes", &t, err)) != 0 ||
		    (rc = int_array(cat + src.num_cat_nodes, t.cat_segments, "categories_segments", &t,
				    err)) != 0 ||
		    (rc = int_array(cat + 2 * src.num_cat_nodes, t.cat_sizes, "categories_sizes", &t,
				    err)) != 0 ||
		    (rc = int_array(cat + 3 * src.num_cat_nodes, t.categories, "categories", &t,
				    err)) != 0)
			goto out;
	}
	rc = ac_model_add_tree(m, &src, index, err);
out:
	free(ints);
	free(conds);
	free(flags);
	return rc;
}

static int parse_gbtree(appcore_model *m, const json_t *model, const json_t *weight_drop,
			appcore_error *err)
{
	const char *path = m->booster == AC_BOOSTER_DART ? "learner.gradient_booster.gbtree.model"
							 : "learner.gradient_booster.model";
	const json_t *param, *trees, *info;
	size_t leaf_vector, num_trees, total = 0;
	int rc;

	if ((param = member(model, "gbtree_model_param", JSON_OBJECT, path, err)) == NULL ||
	    (trees = member(model, "trees", JSON_ARRAY, path, err)) == NULL ||
	    (info = member(model, "tree_info", JSON_ARRAY, path, err)) == NULL)
		return err ? err->code : APPCORE_EMODEL;
	if ((rc = string_param(&m->num_parallel_tree, param, "num_parallel_tree", "1", 1u << 20,
			       "gbtree_model_param", err)) != 0 ||
	    (rc = string_param(&leaf_vector, param, "size_leaf_vector", "0", 1u << 20,
			       "gbtree_model_param", err)) != 0)
		return rc;
	if (m->num_parallel_tree == 0)
		return ac_error_set(
		    err, APPCORE_EMODEL,
		    "gbtree_model_param.num_parallel_tree: expected at least 1, got 0");
	if (leaf_vector > 1)
		return ac_error_set(err, APPCORE_EUNSUPPORTED,
				    "vector-leaf (multi-target) trees are not supported "
				    "(size_leaf_vector %zu)", leaf_vector);
	num_trees = json_array_size(trees);
	if (json_array_size(info) != num_trees)
		return ac_error_set(err, APPCORE_EMODEL, "%s.tree_info: %zu entries for %zu trees", path,
				    json_array_size(info), num_trees);
	if (weight_drop && json_array_size(weight_drop) != num_trees)
		return ac_error_set(err, APPCORE_EMODEL,
				    "learner.gradient_booster.weight_drop: %zu entries for %zu trees",
				    json_array_size(weight_drop), num_trees);
	for (size_t i = 0; i < num_trees; i++) {
		const json_t *left = json_object_get(json_array_get(trees, i), "left_children");

		total += json_array_size(left);
		if (total > UINT32_MAX / 2)
			return ac_error_set(err, APPCORE_EMODEL, "%s.trees: too many nodes", path);
	}
	if ((rc = ac_model_reserve_trees(m, num_trees, total, err)) != 0)
		return rc;
	m->layer_trees = m->num_parallel_tree * m->num_groups;
	for (size_t i = 0; i < num_trees; i++) {
		const json_t *g = json_array_get(info, i);
		float weight = 1.0f;

		if (!json_is_integer(g) || json_integer_value(g) < 0 ||
		    (size_t)json_integer_value(g) >= m->num_groups)
			return ac_error_set(err, APPCORE_EMODEL,
					    "%s.tree_info[%zu]: expected an output group 0..%zu", path,
					    i, m->num_groups - 1);
		if (weight_drop) {
			const json_t *w = json_array_get(weight_drop, i);

			if (!json_is_number(w) || !isfinite((float)json_number_value(w)))
				return ac_error_set(err, APPCORE_EMODEL,
						    "learner.gradient_booster.weight_drop[%zu]: "
						    "expected a finite number", i);
			weight = (float)json_number_value(w);
		}
		rc = parse_tree(m, json_array_get(trees, i), i, (uint32_t)json_integer_value(g), weight,
				err);
		if (rc != APPCORE_OK) {
			ac_error_prefix(err, path);
			return rc;
		}
	}
	return ac_model_finish_trees(m, err);
}

static int parse_gblinear(appcore_model *m, const json_t *model, appcore_error *err)
{
	const char *path = "learner.gradient_booster.model";
	const json_t *weights = member(model, "weights", JSON_ARRAY, path, err);
	size_t expected = (m->num_features + 1) * m->num_groups;

	if (weights == NULL)
		return err ? err->code : APPCORE_EMODEL;
	if (json_array_size(weights) != expected)
		return ac_error_set(err, APPCORE_EMODEL,
				    "%s.weights: %zu entries, expected (num_feature + 1) * %zu = %zu",
				    path, json_array_size(weights), m->num_groups, expected);
	m->linear_weights = malloc(expected * sizeof(*m->linear_weights));
	if (m->linear_weights == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	for (size_t i = 0; i < expected; i++) {
		const json_t *w = json_array_get(weights, i);

		if (!json_is_number(w) || !isfinite((float)json_number_value(w)))
			return ac_error_set(err, APPCORE_EMODEL, "%s.weights[%zu]: expected a finite number",
					    path, i);
		m->linear_weights[i] = (float)json_number_value(w);
	}
	return APPCORE_OK;
}

static int parse_booster(appcore_model *m, const json_t *learner, appcore_error *err)
{
	const char *path = "learner.gradient_booster";
	const json_t *gb, *name, *inner, *model, *weight_drop;

	if ((gb = member(learner, "gradient_booster", JSON_OBJECT, "learner", err)) == NULL ||
	    (name = member(gb, "name", JSON_STRING, path, err)) == NULL)
		return err ? err->code : APPCORE_EMODEL;
	if (strcmp(json_string_value(name), "gbtree") == 0) {
		m->booster = AC_BOOSTER_GBTREE;
		if ((model = member(gb, "model", JSON_OBJECT, path, err)) == NULL)
			return err ? err->code : APPCORE_EMODEL;
		return parse_gbtree(m, model, NULL, err);
	}
	if (strcmp(json_string_value(name), "dart") == 0) {
		m->booster = AC_BOOSTER_DART;
		if ((inner = member(gb, "gbtree", JSON_OBJECT, path, err)) == NULL ||
		    (model = member(inner, "model", JSON_OBJECT, "learner.gradient_booster.gbtree",
				    err)) == NULL ||
		    (weight_drop = member(gb, "weight_drop", JSON_ARRAY, path, err)) == NULL)
			return err ? err->code : APPCORE_EMODEL;
		return parse_gbtree(m, model, weight_drop, err);
	}
	if (strcmp(json_string_value(name), "gblinear") == 0) {
		m->booster = AC_BOOSTER_GBLINEAR;
		if ((model = member(gb, "model", JSON_OBJECT, path, err)) == NULL)
			return err ? err->code : APPCORE_EMODEL;
		return parse_gblinear(m, model, err);
	}
	return ac_error_set(err, APPCORE_EUNSUPPORTED, "%s.name: unsupported booster \"%s\"", path,
			    json_string_value(name));
}

static void parse_version(appcore_model *m, const json_t *root)
{
	const json_t *v = json_object_get(root, "version");
	size_t used = 0;

	snprintf(m->xgboost_version, sizeof(m->xgboost_version), "unknown");
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 4)
		return;
	for (size_t i = 0; i < json_array_size(v); i++)
		if (!json_is_integer(json_array_get(v, i)))
			return;
	for (size_t i = 0; i < json_array_size(v); i++)
		used += (size_t)snprintf(m->xgboost_version + used, sizeof(m->xgboost_version) - used,
					 "%s%lld", i ? "." : "",
					 (long long)json_integer_value(json_array_get(v, i)));
}

/* Early stopping writes learner.attributes.best_iteration as a decimal string. */
static int parse_best_iteration(appcore_model *m, const json_t *learner, appcore_error *err)
{
	const json_t *attributes = json_object_get(learner, "attributes");
	size_t best;
	int rc;

	m->best_iteration = -1;
	if (!json_is_object(attributes) || json_object_get(attributes, "best_iteration") == NULL)
		return APPCORE_OK;
	if ((rc = string_param(&best, attributes, "best_iteration", NULL, (size_t)LONG_MAX / 2,
			       "learner.attributes", err)) != 0)
		return rc;
	m->best_iteration = (long)best;
	return APPCORE_OK;
}

static int parse_root(appcore_model *m, const json_t *root, appcore_error *err)
{
	const json_t *learner, *param, *objective, *name, *base_score;
	size_t num_class, num_target;
	int rc;

	if (!json_is_object(root))
		return ac_error_set(err, APPCORE_EMODEL, "expected a JSON object at the top, got %s",
				    type_name(root));
	parse_version(m, root);
	if ((learner = member(root, "learner", JSON_OBJECT, "model", err)) == NULL ||
	    (param = member(learner, "learner_model_param", JSON_OBJECT, "learner", err)) == NULL ||
	    (objective = member(learner, "objective", JSON_OBJECT, "learner", err)) == NULL ||
	    (name = member(objective, "name", JSON_STRING, "learner.objective", err)) == NULL ||
	    (base_score = member(param, "base_score", JSON_STRING, "learner.learner_model_param",
				 err)) == NULL)
		return err ? err->code : APPCORE_EMODEL;
	if ((rc = string_param(&m->num_features, param, "num_feature", NULL, MAX_FEATURES,
			       "learner.learner_model_param", err)) != 0 ||
	    (rc = string_param(&num_class, param, "num_class", "0", MAX_GROUPS,
			       "learner.learner_model_param", err)) != 0 ||
	    (rc = string_param(&num_target, param, "num_target", "1", MAX_GROUPS,
			       "learner.learner_model_param", err)) != 0)
		return rc;
	if (m->num_features == 0)
		return ac_error_set(err, APPCORE_EMODEL, "learner.learner_model_param.num_feature: "
				    "the model has no features");
	m->objective = ac_objective_find(json_string_value(name));
	if (m->objective == NULL)
		return ac_error_set(err, APPCORE_EUNSUPPORTED,
				    "learner.objective.name: unsupported objective \"%s\"",
				    json_string_value(name));
	if (num_class > 0 && num_target > 1)
		return ac_error_set(err, APPCORE_EUNSUPPORTED,
				    "num_class %zu with num_target %zu is not supported", num_class,
				    num_target);
	if (m->objective->multiclass && num_class == 0)
		return ac_error_set(err, APPCORE_EMODEL,
				    "learner.learner_model_param.num_class: %s needs num_class >= 1",
				    m->objective->name);
	m->num_groups = num_class > 0 ? num_class : (num_target > 0 ? num_target : 1);
	m->base_score = malloc(m->num_groups * sizeof(float));
	m->base_margin = malloc(m->num_groups * sizeof(float));
	if (m->base_score == NULL || m->base_margin == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	if ((rc = parse_base_score(m, json_string_value(base_score), err)) != 0 ||
	    (rc = parse_features(m, learner, err)) != 0 ||
	    (rc = parse_best_iteration(m, learner, err)) != 0)
		return rc;
	return parse_booster(m, learner, err);
}

/* Refused before Jansson parses it (see json_depth.h). */
#define MAX_MODEL_DEPTH 64

int ac_model_parse(appcore_model *m, const char *data, size_t len, appcore_error *err)
{
	json_error_t jerr;
	json_t *root;
	char *rewritten;
	size_t rewritten_len = 0;
	bool failed;
	int line, column;
	int rc;

	/* A UBJSON object starts with '{' followed by a type marker, never JSON's '"' or space. */
	if (len >= 2 && data[0] == '{' && strchr("iUIlLdD$#", data[1]) != NULL && data[1] != '\0')
		return ac_error_set(err, APPCORE_EUNSUPPORTED,
				    "this looks like a UBJSON model; appcore reads XGBoost JSON: save "
				    "it with booster.save_model(\"model.json\")");
	/* XGBoost models nest about eight levels deep */
	if (ac_json_check_depth(data, len, MAX_MODEL_DEPTH, &line, &column) != 0)
		return ac_error_set_at(err, APPCORE_EMODEL, line, column,
				       "not valid JSON at line %d, column %d: nested deeper than %d "
				       "levels",
				       line, column, MAX_MODEL_DEPTH);
	rewritten = ac_json_rewrite_nan(data, len, &rewritten_len, &failed);
	if (failed)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	root = json_loadb(rewritten ? rewritten : data, rewritten ? rewritten_len : len,
			  JSON_REJECT_DUPLICATES, &jerr);
	free(rewritten);
	if (root == NULL && ac_json_out_of_memory(&jerr))
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	if (root == NULL)
		return ac_error_set_at(err, APPCORE_EMODEL, jerr.line, jerr.column,
				       "not valid JSON at line %d, column %d: %s", jerr.line,
				       jerr.column, jerr.text);
	rc = parse_root(m, root, err);
	json_decref(root);
	return rc;
}
