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
	size_t wanted = m->trees_capacity ? m->trees_capacity : 16;
	void *roots, *groups, *depths;

	if (needed <= m->trees_capacity)
		return APPCORE_OK;
	while (wanted < needed)
		wanted *= 2;
	if ((roots = realloc(m->tree_roots, wanted * sizeof(*m->tree_roots))) != NULL)
		m->tree_roots = roots;
	if ((groups = realloc(m->tree_groups, wanted * sizeof(*m->tree_groups))) != NULL)
		m->tree_groups = groups;
	if ((depths = realloc(m->tree_depths, wanted * sizeof(*m->tree_depths))) != NULL)
		m->tree_depths = depths;
	if (roots == NULL || groups == NULL || depths == NULL)
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

/* A value the file left null (NaN here) where it is used. */
static int null_value(const char *path, size_t node, appcore_error *err)
{
	return ac_error_set(err, APPCORE_EMODEL, "%s.split_conditions[%zu]: expected a number, got null",
			    path, node);
}

/* One split node: feature, default direction, condition or category set. */
static int add_split(appcore_model *m, ac_node *node, const struct ac_tree_src *t,
		     const char *path, size_t old, appcore_error *err)
{
	const int32_t feature = t->split_index[old];
	const unsigned split_type = t->split_type ? t->split_type[old] : 0;

	if (feature < 0 || (size_t)feature >= m->num_features)
		return ac_error_set(err, APPCORE_EMODEL,
				    "%s.split_indices[%zu]: feature %d is outside 0..%zu (num_feature "
				    "%zu)", path, old, (int)feature, m->num_features - 1, m->num_features);
	node->info = (uint32_t)feature | (t->default_left[old] ? AC_NODE_DEFAULT_LEFT : 0);
	if (split_type == 1) {
		node->info |= AC_NODE_CATEGORICAL;
		return push_catset(m, &node->v.catset, t, path, old, err);
	}
	if (split_type != 0)
		return ac_error_set(err, APPCORE_EUNSUPPORTED, "%s.split_type[%zu]: unknown split type %u",
				    path, old, split_type);
	if (isnan(t->split_cond[old]))
		return null_value(path, old, err);
	node->v.split = t->split_cond[old];
	return APPCORE_OK;
}

/* Copy the tree breadth-first into m->nodes. Children are appended as a pair, so right ==
 * left + 1; each node can be reached once, which rejects cycles and shared subtrees. */
int ac_model_add_tree(appcore_model *m, const struct ac_tree_src *t, size_t index,
		      appcore_error *err)
{
	uint32_t *queue = NULL, *depth = NULL;
	unsigned char *seen = NULL;
	const size_t base = m->num_nodes;
	size_t head = 0, tail = 1;
	char path[48];
	int rc;

	snprintf(path, sizeof(path), "trees[%zu]", index);
	if (t->num_nodes == 0)
		return ac_error_set(err, APPCORE_EMODEL, "%s.left_children: empty tree", path);
	if (t->num_nodes > UINT32_MAX / 2 - base)
		return ac_error_set(err, APPCORE_EMODEL, "trees: too many nodes");
	if ((rc = ac_model_reserve_trees(m, m->num_trees + 1, base + t->num_nodes, err)) != 0)
		return rc;
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
		ac_node *node = &m->nodes[base + head];
		const int32_t left = t->left[old], right = t->right[old];

		head++;
		if (left == -1 && right == -1) {
			if (isnan(t->split_cond[old])) {
				rc = null_value(path, old, err);
				goto out;
			}
			node->v.leaf = t->split_cond[old] * t->weight;
			node->info = AC_NODE_LEAF;
			node->left = (uint32_t)(base + head - 1);
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
		if ((rc = add_split(m, node, t, path, old, err)) != 0)
			goto out;
		node->left = (uint32_t)(base + tail);
		m->has_categorical |= (node->info & AC_NODE_CATEGORICAL) != 0;
		seen[left] = seen[right] = 1;
		depth[tail] = depth[tail + 1] = depth[head - 1] + 1;
		queue[tail++] = (uint32_t)left;
		queue[tail++] = (uint32_t)right;
	}
	m->tree_roots[m->num_trees] = (uint32_t)base;
	m->tree_groups[m->num_trees] = t->group;
	/* breadth-first: the last node is among the deepest */
	m->tree_depths[m->num_trees] = depth[tail - 1];
	m->num_trees++;
	m->num_nodes = base + tail;
out:
	free(depth);
	free(queue);
	free(seen);
	return rc;
}

int ac_model_finish_trees(appcore_model *m, appcore_error *err)
{
	void *shrunk;

	/* shrinking never fails in practice; keep the larger block if it does */
	if (m->num_nodes > 0 && m->num_nodes < m->nodes_capacity &&
	    (shrunk = realloc(m->nodes, m->num_nodes * sizeof(*m->nodes))) != NULL) {
		m->nodes = shrunk;
		m->nodes_capacity = m->num_nodes;
	}
	/* the engine lays the validated trees out for its fastest kernel */
	return ac_layout_build(m, err);
}
