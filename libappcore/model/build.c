/* Trees in the neutral form of build.h -> the engine's compact layout (model_internal.h),
 * validating everything on the way so prediction never needs a bounds check. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "model/build.h"

/* Grow *array (of *capacity elements of size bytes) to hold at least needed elements. */
static int grow(void *array, size_t *capacity, size_t needed, size_t size, appcore_error *err)
{
	void **p = array;
	size_t wanted = *capacity ? *capacity : 16;
	void *bigger;

	if (needed <= *capacity)
		return APPCORE_OK;
	while (wanted < needed)
		wanted *= 2;
	bigger = realloc(*p, wanted * size);
	if (bigger == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	*p = bigger;
	*capacity = wanted;
	return APPCORE_OK;
}

/* The per-tree arrays share one capacity. A failed realloc leaves the arrays that did grow
 * bigger than trees_capacity says, which is harmless. */
static int grow_trees(appcore_model *m, size_t needed, appcore_error *err)
{
	uint32_t **arrays[] = { &m->tree_roots, &m->tree_groups, &m->tree_depths,
				&m->tree_features, &m->tree_feature_nodes };
	size_t wanted = m->trees_capacity ? m->trees_capacity : 16;
	bool failed = false;

	if (needed <= m->trees_capacity)
		return APPCORE_OK;
	while (wanted < needed)
		wanted *= 2;
	for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
		uint32_t *bigger = realloc(*arrays[i], wanted * sizeof(uint32_t));

		if (bigger == NULL)
			failed = true;
		else
			*arrays[i] = bigger;
	}
	if (failed)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	m->trees_capacity = wanted;
	return APPCORE_OK;
}

int ac_model_reserve_trees(appcore_model *m, size_t num_trees, size_t num_nodes,
			   appcore_error *err)
{
	int rc;

	if (num_nodes > UINT32_MAX / 2)
		return ac_error_set(err, APPCORE_EMODEL, "trees: too many nodes");
	if ((rc = grow_trees(m, num_trees, err)) != 0)
		return rc;
	return grow(&m->nodes, &m->nodes_capacity, num_nodes, sizeof(*m->nodes), err);
}

static int push_catset(appcore_model *m, uint32_t *catset, const struct ac_tree_src *t,
		       const char *path, size_t node, appcore_error *err)
{
	size_t j, words;
	int32_t max = -1;
	void *grown;

	if (t->cat_nodes == NULL || t->categories == NULL)
		return ac_error_set(err, APPCORE_EMODEL,
				    "%s: node %zu is a categorical split but the tree has no "
				    "categories arrays", path, node);
	for (j = 0; j < t->num_cat_nodes; j++)
		if (t->cat_nodes[j] == (int32_t)node)
			break;
	if (j == t->num_cat_nodes)
		return ac_error_set(err, APPCORE_EMODEL,
				    "%s: node %zu is a categorical split missing from categories_nodes",
				    path, node);
	const long long segment = t->cat_segments[j], size = t->cat_sizes[j];
	if (segment < 0 || size < 0 || (size_t)segment > t->num_categories ||
	    (size_t)size > t->num_categories - (size_t)segment)
		return ac_error_set(err, APPCORE_EMODEL,
				    "%s: categories segment %lld+%lld of node %zu is outside categories "
				    "(%zu entries)", path, segment, size, node, t->num_categories);
	for (long long k = segment; k < segment + size; k++) {
		int32_t value = t->categories[k];

		if (value < 0 || (float)value >= AC_MAX_CATEGORY)
			return ac_error_set(err, APPCORE_EMODEL,
					    "%s.categories[%lld]: category %d is outside 0..%lld",
					    path, k, (int)value, (long long)AC_MAX_CATEGORY - 1);
		max = value > max ? value : max;
	}
	words = (size_t)(max + 1 + 31) / 32;
	/* an empty category set needs no words; realloc to 0 bytes would free them */
	if (words > 0) {
		grown = realloc(m->cat_words, (m->num_cat_words + words) * sizeof(*m->cat_words));
		if (grown == NULL)
			return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		m->cat_words = grown;
		memset(m->cat_words + m->num_cat_words, 0, words * sizeof(*m->cat_words));
	}
	for (long long k = segment; k < segment + size; k++) {
		uint32_t c = (uint32_t)t->categories[k];
		m->cat_words[m->num_cat_words + c / 32] |= 1u << (c % 32);
	}
	grown = realloc(m->catsets, (m->num_catsets + 1) * sizeof(*m->catsets));
	if (grown == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	m->catsets = grown;
	m->catsets[m->num_catsets] = (ac_catset){ (uint32_t)m->num_cat_words, (uint32_t)words };
	*catset = (uint32_t)m->num_catsets++;
	m->num_cat_words += words;
	return APPCORE_OK;
}

/* A value the file left NaN or null where it is used. */
static int null_value(const char *path, size_t node, appcore_error *err)
{
	return ac_error_set(err, APPCORE_EMODEL,
			    "%s.split_conditions[%zu]: expected a number, got NaN or null", path, node);
}

/* One split node: feature, default direction, condition or category set. *value receives
 * the threshold's bits or the category set's index. */
static int add_split(appcore_model *m, uint32_t *info, uint32_t *value,
		     const struct ac_tree_src *t, const char *path, size_t old, appcore_error *err)
{
	const int32_t feature = t->split_index[old];
	const unsigned split_type = t->split_type ? t->split_type[old] : 0;
	const size_t tree = m->num_trees;

	/* the upper bound (num_feature) is checked in ac_model_finish_trees */
	if (feature < 0)
		return ac_error_set(err, APPCORE_EMODEL, "%s.split_indices[%zu]: feature %d is negative",
				    path, old, (int)feature);
	if ((uint32_t)feature >= AC_NODE_FEATURE_MASK)
		return ac_error_set(err, APPCORE_EMODEL,
				    "%s.split_indices[%zu]: feature %d is beyond the %u features "
				    "appcore supports", path, old, (int)feature,
				    (unsigned)AC_NODE_FEATURE_MASK);
	if ((uint32_t)feature + 1 > m->tree_features[tree]) {
		m->tree_features[tree] = (uint32_t)feature + 1;
		m->tree_feature_nodes[tree] = (uint32_t)old;
	}
	*info = (uint32_t)feature | (t->default_left[old] ? AC_NODE_DEFAULT_LEFT : 0);
	if (split_type == 1) {
		*info |= AC_NODE_CATEGORICAL;
		return push_catset(m, value, t, path, old, err);
	}
	if (split_type != 0)
		return ac_error_set(err, APPCORE_EUNSUPPORTED, "%s.split_type[%zu]: unknown split type %u",
				    path, old, split_type);
	if (isnan(t->split_cond[old]))
		return null_value(path, old, err);
	memcpy(value, &t->split_cond[old], sizeof(*value));
	return APPCORE_OK;
}

/* The values of a vector leaf (file node id `old`), or NULL with err set. */
static const float *vector_leaf(const struct ac_tree_src *t, const char *path, size_t old,
				appcore_error *err)
{
	const size_t size = t->leaf_size;

	if (t->leaf_weights != NULL) {
		/* 3.2+: right_children holds the leaf's index into leaf_weights */
		const int32_t leaf = t->right[old];

		if (leaf < 0 || (size_t)leaf >= t->num_leaf_weights / size) {
			ac_error_set(err, APPCORE_EMODEL,
				     "%s.right_children[%zu]: leaf index %d is outside 0..%zu "
				     "(leaf_weights has %zu entries of %zu values)",
				     path, old, (int)leaf, t->num_leaf_weights / size - 1,
				     t->num_leaf_weights / size, size);
			return NULL;
		}
		return t->leaf_weights + (size_t)leaf * size;
	}
	return t->base_weights + old * size;
}

static int check_vector_tree(appcore_model *m, const struct ac_tree_src *t, const char *path,
			     appcore_error *err)
{
	if (m->num_trees > 0 && m->leaf_size != t->leaf_size)
		return ac_error_set(err, APPCORE_EMODEL,
				    "%s.tree_param.size_leaf_vector: %zu values per leaf, but trees[0] "
				    "has %zu", path, t->leaf_size, m->leaf_size);
	if (t->leaf_weights != NULL) {
		if (t->num_leaf_weights == 0 || t->num_leaf_weights % t->leaf_size != 0)
			return ac_error_set(err, APPCORE_EMODEL,
					    "%s.leaf_weights: %zu entries are not a multiple of %zu "
					    "(size_leaf_vector)", path, t->num_leaf_weights, t->leaf_size);
		return APPCORE_OK;
	}
	if (t->base_weights == NULL)
		return ac_error_set(err, APPCORE_EMODEL, "%s.base_weights: missing", path);
	if (t->num_base_weights / t->leaf_size != t->num_nodes ||
	    t->num_base_weights % t->leaf_size != 0)
		return ac_error_set(err, APPCORE_EMODEL,
				    "%s.base_weights: %zu entries for %zu nodes of %zu values",
				    path, t->num_base_weights, t->num_nodes, t->leaf_size);
	return APPCORE_OK;
}

/* Copy the tree breadth-first into m->nodes (m->vnodes for vector leaves). Children are
 * appended as a pair, so right == left + 1; each node can be reached once, which rejects
 * cycles and shared subtrees. */
int ac_model_add_tree(appcore_model *m, const struct ac_tree_src *t, size_t index,
		      appcore_error *err)
{
	const bool vector = t->leaf_size > 1;
	/* 3.2+ vector trees keep the leaf index in right_children: a leaf is left == -1 */
	const bool leaf_by_left = vector && t->leaf_weights != NULL;
	uint32_t *queue = NULL, *depth = NULL;
	unsigned char *seen = NULL;
	const size_t base = vector ? m->num_vnodes : m->num_nodes;
	size_t head = 0, tail = 1;
	char path[48];
	int rc;

	snprintf(path, sizeof(path), "trees[%zu]", index);
	if (t->num_nodes == 0)
		return ac_error_set(err, APPCORE_EMODEL, "%s.left_children: empty tree", path);
	if (m->num_trees > 0 && (m->leaf_size > 0) != vector)
		return ac_error_set(err, APPCORE_EMODEL,
				    "%s: %s leaves, but trees[0] has %s leaves", path,
				    vector ? "vector" : "scalar", vector ? "scalar" : "vector");
	if (vector && (rc = check_vector_tree(m, t, path, err)) != APPCORE_OK)
		return rc;
	if (t->num_nodes > UINT32_MAX / 2 - base)
		return ac_error_set(err, APPCORE_EMODEL, "trees: too many nodes");
	if ((rc = grow_trees(m, m->num_trees + 1, err)) != 0)
		return rc;
	if (vector)
		rc = grow(&m->vnodes, &m->vnodes_capacity, base + t->num_nodes, sizeof(*m->vnodes),
			  err);
	else
		rc = grow(&m->nodes, &m->nodes_capacity, base + t->num_nodes, sizeof(*m->nodes),
			  err);
	if (rc != APPCORE_OK)
		return rc;
	m->tree_features[m->num_trees] = 0;
	m->tree_feature_nodes[m->num_trees] = 0;
	queue = malloc(t->num_nodes * sizeof(*queue));
	depth = malloc(t->num_nodes * sizeof(*depth));
	seen = calloc(t->num_nodes, 1);
	if (queue == NULL || depth == NULL || seen == NULL) {
		rc = ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		goto out;
	}
	queue[0] = 0;
	depth[0] = 0;
	seen[0] = 1;
	while (head < tail) {
		const size_t old = queue[head];
		const int32_t left = t->left[old], right = t->right[old];
		uint32_t info = 0, value = 0;

		head++;
		if (left == -1 && (right == -1 || leaf_by_left)) {
			if (!vector) {
				ac_node *node = &m->nodes[base + head - 1];

				if (isnan(t->split_cond[old])) {
					rc = null_value(path, old, err);
					goto out;
				}
				node->v.leaf = t->split_cond[old];
				node->info = AC_NODE_LEAF;
				node->left = (uint32_t)(base + head - 1);
			} else {
				ac_vnode *node = &m->vnodes[base + head - 1];
				const float *values = vector_leaf(t, path, old, err);

				if (values == NULL) {
					rc = err ? err->code : APPCORE_EMODEL;
					goto out;
				}
				if (m->num_vleaves > UINT32_MAX - t->leaf_size) {
					rc = ac_error_set(err, APPCORE_EMODEL, "trees: too many leaves");
					goto out;
				}
				if ((rc = grow(&m->vleaves, &m->vleaves_capacity,
					       m->num_vleaves + t->leaf_size, sizeof(*m->vleaves),
					       err)) != APPCORE_OK)
					goto out;
				for (size_t k = 0; k < t->leaf_size; k++) {
					if (!isfinite(values[k])) {
						rc = ac_error_set(err, APPCORE_EMODEL,
								  "%s.%s: node %zu has a leaf value "
								  "that is not finite", path,
								  t->leaf_weights ? "leaf_weights"
										  : "base_weights",
								  old);
						goto out;
					}
					m->vleaves[m->num_vleaves + k] = values[k];
				}
				node->v.leaf = (uint32_t)m->num_vleaves;
				node->info = AC_NODE_LEAF;
				node->left = (uint32_t)(base + head - 1);
				m->num_vleaves += t->leaf_size;
			}
			continue;
		}
		if (left < 0 || right < 0 || (size_t)left >= t->num_nodes ||
		    (size_t)right >= t->num_nodes) {
			rc = ac_error_set(err, APPCORE_EMODEL,
					  "%s: node %zu has children %d and %d; expected both -1 or "
					  "both in 0..%zu", path, old, (int)left, (int)right,
					  t->num_nodes - 1);
			goto out;
		}
		if (seen[left] || seen[right] || left == right) {
			rc = ac_error_set(err, APPCORE_EMODEL,
					  "%s: node %d is reached twice (cycle or shared subtree)", path,
					  (int)(seen[left] || left == right ? left : right));
			goto out;
		}
		if ((rc = add_split(m, &info, &value, t, path, old, err)) != 0)
			goto out;
		if (vector) {
			ac_vnode *node = &m->vnodes[base + head - 1];

			node->info = info;
			memcpy(&node->v, &value, sizeof(value));
			node->left = (uint32_t)(base + tail);
		} else {
			ac_node *node = &m->nodes[base + head - 1];

			node->info = info;
			memcpy(&node->v, &value, sizeof(value));
			node->left = (uint32_t)(base + tail);
		}
		m->has_categorical |= (info & AC_NODE_CATEGORICAL) != 0;
		seen[left] = seen[right] = 1;
		depth[tail] = depth[tail + 1] = depth[head - 1] + 1;
		queue[tail++] = (uint32_t)left;
		queue[tail++] = (uint32_t)right;
	}
	m->tree_roots[m->num_trees] = (uint32_t)base;
	m->tree_groups[m->num_trees] = 0; /* from tree_info, in ac_model_finish_trees */
	/* breadth-first: the last node is among the deepest */
	m->tree_depths[m->num_trees] = depth[tail - 1];
	m->num_trees++;
	if (vector) {
		m->leaf_size = t->leaf_size;
		m->num_vnodes = base + tail;
	} else {
		m->num_nodes = base + tail;
	}
out:
	free(depth);
	free(queue);
	free(seen);
	return rc;
}

/* Multiply the leaves of tree t by w (XGBoost multiplies each tree's output by its DART
 * weight: one float product, the same whether done now or at prediction). */
static void scale_tree(appcore_model *m, size_t t, float w)
{
	const size_t begin = m->tree_roots[t];

	if (m->leaf_size == 0) {
		const size_t end = t + 1 < m->num_trees ? m->tree_roots[t + 1] : m->num_nodes;

		for (size_t i = begin; i < end; i++)
			if (m->nodes[i].info & AC_NODE_LEAF)
				m->nodes[i].v.leaf *= w;
		return;
	}
	{
		const size_t end = t + 1 < m->num_trees ? m->tree_roots[t + 1] : m->num_vnodes;

		for (size_t i = begin; i < end; i++)
			if (m->vnodes[i].info & AC_NODE_LEAF)
				for (size_t k = 0; k < m->leaf_size; k++)
					m->vleaves[m->vnodes[i].v.leaf + k] *= w;
	}
}

static int finish_iterations(appcore_model *m, const struct ac_trees_info *info,
			     appcore_error *err)
{
	size_t layer, n;

	if (info->iteration_indptr != NULL) {
		const int32_t *p = info->iteration_indptr;

		n = info->num_indptr;
		if (n == 0 || p[0] != 0 || (size_t)p[n - 1] != m->num_trees)
			return ac_error_set(err, APPCORE_EMODEL,
					    "%s: expected 0 first and the number of trees (%zu) last",
					    info->indptr_path, m->num_trees);
		for (size_t i = 1; i < n; i++)
			if (p[i] < p[i - 1])
				return ac_error_set(err, APPCORE_EMODEL,
						    "%s[%zu]: %d is less than the entry before",
						    info->indptr_path, i, (int)p[i]);
		m->iteration_ptr = malloc(n * sizeof(*m->iteration_ptr));
		if (m->iteration_ptr == NULL)
			return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++)
			m->iteration_ptr[i] = (uint32_t)p[i];
		m->num_iterations = n - 1;
		return APPCORE_OK;
	}
	/* Files before XGBoost 2.0: every iteration adds num_parallel_tree trees per output
	 * group (one per iteration for vector leaves), as gbtree.h's LayerToTree counts. */
	layer = m->num_parallel_tree * (m->leaf_size > 0 ? 1 : m->num_groups);
	n = layer ? m->num_trees / layer : 0;
	m->iteration_ptr = malloc((n + 1) * sizeof(*m->iteration_ptr));
	if (m->iteration_ptr == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	for (size_t i = 0; i <= n; i++)
		m->iteration_ptr[i] = (uint32_t)(i * layer);
	m->num_iterations = n;
	return APPCORE_OK;
}

int ac_model_finish_trees(appcore_model *m, const struct ac_trees_info *info,
			  appcore_error *err)
{
	void *shrunk;
	int rc;

	if (m->leaf_size > 0 && m->leaf_size != m->num_groups)
		return ac_error_set(err, APPCORE_EMODEL,
				    "%s: trees have %zu values per leaf for %zu outputs (num_target)",
				    info->path, m->leaf_size, m->num_groups);
	if (info->num_groups_entries != m->num_trees)
		return ac_error_set(err, APPCORE_EMODEL, "%s.tree_info: %zu entries for %zu trees",
				    info->path, info->num_groups_entries, m->num_trees);
	for (size_t t = 0; t < m->num_trees; t++) {
		const int32_t g = info->groups[t];

		if (g < 0 || (size_t)g >= m->num_groups)
			return ac_error_set(err, APPCORE_EMODEL,
					    "%s.tree_info[%zu]: expected an output group 0..%zu",
					    info->path, t, m->num_groups - 1);
		m->tree_groups[t] = (uint32_t)g;
		if (m->tree_features[t] > m->num_features)
			return ac_error_set(err, APPCORE_EMODEL,
					    "%s: trees[%zu].split_indices[%u]: feature %u is outside "
					    "0..%zu (num_feature %zu)",
					    info->path, t, (unsigned)m->tree_feature_nodes[t],
					    (unsigned)m->tree_features[t] - 1, m->num_features - 1,
					    m->num_features);
	}
	if (info->num_weights > m->num_trees)
		return ac_error_set(err, APPCORE_EMODEL, "%s: %zu entries for %zu trees",
				    info->weights_path, info->num_weights, m->num_trees);
	for (size_t t = 0; t < info->num_weights; t++) {
		const float w = info->weights[t];

		if (!isfinite(w))
			return ac_error_set(err, APPCORE_EMODEL, "%s[%zu]: expected a finite number",
					    info->weights_path, t);
		if (w != 1.0f)
			scale_tree(m, t, w);
	}
	if ((rc = finish_iterations(m, info, err)) != APPCORE_OK)
		return rc;
	/* shrinking never fails in practice; keep the larger block if it does */
	if (m->num_nodes > 0 && m->num_nodes < m->nodes_capacity &&
	    (shrunk = realloc(m->nodes, m->num_nodes * sizeof(*m->nodes))) != NULL) {
		m->nodes = shrunk;
		m->nodes_capacity = m->num_nodes;
	}
	if (m->num_vnodes > 0 && m->num_vnodes < m->vnodes_capacity &&
	    (shrunk = realloc(m->vnodes, m->num_vnodes * sizeof(*m->vnodes))) != NULL) {
		m->vnodes = shrunk;
		m->vnodes_capacity = m->num_vnodes;
	}
	if (m->num_vleaves > 0 && m->num_vleaves < m->vleaves_capacity &&
	    (shrunk = realloc(m->vleaves, m->num_vleaves * sizeof(*m->vleaves))) != NULL) {
		m->vleaves = shrunk;
		m->vleaves_capacity = m->num_vleaves;
	}
	/* vector-leaf trees have their own walker (engine/predict_vector.c) */
	if (m->leaf_size > 0)
		return APPCORE_OK;
	/* the engine lays the validated trees out for its fastest kernel */
	return ac_layout_build(m, err);
}
