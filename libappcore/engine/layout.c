/* Build the heap layout (layout.h) from the validated breadth-first nodes and choose the
 * kernel the model's predictions use. */
#include <stdlib.h>
#include <string.h>

#include "core/error_internal.h"
#include "engine/engine.h"
#include "engine/layout.h"
#include "model/model_internal.h"

void ac_layout_free(ac_layout *layout)
{
	if (layout == NULL)
		return;
	free(layout->feature);
	free(layout->threshold);
	free(layout->leaf);
	free(layout->split_begin);
	free(layout->leaf_begin);
	free(layout->depth);
	free(layout->lane_feature);
	free(layout->lane_threshold);
	free(layout->lane_begin);
	free(layout->lane_depth);
	free(layout->lane_leaf);
	free(layout->lane_leaf_begin);
	free(layout);
}

/* Place the subtree of node `index` at heap position `pos` of a tree of depth `depth`. */
static void place(const appcore_model *m, uint32_t index, size_t pos, unsigned level,
		  unsigned depth, uint32_t *feature, float *threshold, float *leaf)
{
	const ac_node *n = &m->nodes[index];
	const size_t splits = ((size_t)1 << depth) - 1;

	if (level == depth) {
		/* depth is the deepest leaf's level, so n is a leaf */
		leaf[pos - splits] = n->v.leaf;
		return;
	}
	if (n->info & AC_NODE_LEAF) {
		/* padding: both ways lead to copies of this leaf */
		feature[pos] = 0;
		threshold[pos] = 0.0f;
		place(m, index, 2 * pos + 1, level + 1, depth, feature, threshold, leaf);
		place(m, index, 2 * pos + 2, level + 1, depth, feature, threshold, leaf);
		return;
	}
	feature[pos] = (n->info & AC_NODE_FEATURE_MASK) |
		       (n->info & AC_NODE_DEFAULT_LEFT ? 0 : AC_HEAP_DEFAULT_RIGHT);
	threshold[pos] = n->v.split;
	place(m, n->left, 2 * pos + 1, level + 1, depth, feature, threshold, leaf);
	place(m, n->left + 1, 2 * pos + 2, level + 1, depth, feature, threshold, leaf);
}

static int heap_qualifies(const appcore_model *m, size_t *splits, size_t *leaves)
{
	*splits = *leaves = 0;
	if (m->has_categorical || m->num_trees == 0 ||
	    /* a block of rows must be addressable with 32-bit gather offsets */
	    m->num_features > ((size_t)1 << 24))
		return 0;
	for (size_t t = 0; t < m->num_trees; t++) {
		if (m->tree_depths[t] > AC_HEAP_MAX_DEPTH)
			return 0;
		*splits += ((size_t)1 << m->tree_depths[t]) - 1;
		*leaves += (size_t)1 << m->tree_depths[t];
	}
	return *splits + *leaves <= AC_HEAP_MAX_GROWTH * m->num_nodes + 64 * m->num_trees &&
	       *splits < UINT32_MAX && *leaves < UINT32_MAX;
}

/* Memory starting on a cache line: a group's lane vectors are 64 bytes, and a vector that
 * straddles two lines loads at half the rate (measured on AMD Zen: 1 a cycle instead of 2),
 * which is what a single row's walk is bound by. Freed with free(). */
static void *alloc_lines(size_t size)
{
	return aligned_alloc(64, (size + 63) / 64 * 64);
}

/* Tree lanes (layout.h) for every group of 16 trees shallow enough. */
static int build_lanes(const appcore_model *m, ac_layout *l)
{
	/* the last group may be partial: its missing lanes are padding the kernel masks off */
	const size_t groups = (m->num_trees + AC_LANES - 1) / AC_LANES;
	size_t entries = 0;

	l->num_lane_groups = groups;
	if (groups == 0)
		return 1;
	l->lane_begin = malloc(groups * sizeof(*l->lane_begin));
	l->lane_depth = malloc(groups * sizeof(*l->lane_depth));
	if (l->lane_begin == NULL || l->lane_depth == NULL)
		return 0;
	for (size_t g = 0; g < groups; g++) {
		unsigned deepest = 0;

		for (size_t i = 0; i < AC_LANES && g * AC_LANES + i < m->num_trees; i++)
			if (l->depth[g * AC_LANES + i] > deepest)
				deepest = l->depth[g * AC_LANES + i];
		l->lane_depth[g] = (uint8_t)deepest;
		l->lane_begin[g] = deepest <= AC_LANES_MAX_DEPTH ? (uint32_t)entries : UINT32_MAX;
		if (deepest <= AC_LANES_MAX_DEPTH)
			entries += (((size_t)1 << deepest) - 1) * AC_LANES;
	}
	l->lane_feature = alloc_lines((entries ? entries : 1) * sizeof(*l->lane_feature));
	l->lane_threshold = alloc_lines((entries ? entries : 1) * sizeof(*l->lane_threshold));
	if (l->lane_feature == NULL || l->lane_threshold == NULL)
		return 0;
	for (size_t g = 0; g < groups; g++) {
		const unsigned deepest = l->lane_depth[g];

		if (l->lane_begin[g] == UINT32_MAX)
			continue;
		for (unsigned k = 0; k < deepest; k++)
			for (size_t j = 0; j < ((size_t)1 << k); j++)
				for (size_t i = 0; i < AC_LANES; i++) {
					const size_t t = g * AC_LANES + i;
					const size_t at = l->lane_begin[g] +
							  ((((size_t)1 << k) - 1) + j) * AC_LANES + i;
					/* below a tree's own depth: padding (its leaf level is
					 * reached and kept by the kernel's shift) */
					const int real = t < m->num_trees && k < l->depth[t];
					const size_t node = real ? l->split_begin[t] + ((size_t)1 << k) -
									   1 + j
								 : 0;

					l->lane_feature[at] = real ? l->feature[node] : 0;
					l->lane_threshold[at] = real ? l->threshold[node] : 0.0f;
				}
	}
	return 1;
}

/* Leaf lanes (layout.h) for every group of 16 trees no deeper than AC_LANE_LEAVES_MAX_DEPTH. */
static int build_lane_leaves(const appcore_model *m, ac_layout *l)
{
	const size_t groups = l->num_lane_groups;
	size_t entries = 0;

	if (groups == 0)
		return 1;
	l->lane_leaf_begin = malloc(groups * sizeof(*l->lane_leaf_begin));
	if (l->lane_leaf_begin == NULL)
		return 0;
	for (size_t g = 0; g < groups; g++) {
		const int lanes = l->lane_depth[g] <= AC_LANE_LEAVES_MAX_DEPTH;

		l->lane_leaf_begin[g] = lanes ? (uint32_t)entries : UINT32_MAX;
		entries += lanes ? (size_t)AC_LANES << l->lane_depth[g] : 0;
	}
	l->lane_leaf = alloc_lines((entries ? entries : 1) * sizeof(*l->lane_leaf));
	if (l->lane_leaf == NULL)
		return 0;
	for (size_t g = 0; g < groups; g++) {
		const unsigned deepest = l->lane_depth[g];

		if (l->lane_leaf_begin[g] == UINT32_MAX)
			continue;
		for (size_t j = 0; j < ((size_t)1 << deepest); j++)
			for (size_t i = 0; i < AC_LANES; i++) {
				const size_t t = g * AC_LANES + i;

				l->lane_leaf[l->lane_leaf_begin[g] + j * AC_LANES + i] =
					t < m->num_trees
						? l->leaf[l->leaf_begin[t] +
							  (j >> (deepest - l->depth[t]))]
						: 0.0f;
			}
	}
	return 1;
}

/* AVX2 comes after the portable kernel: on the machine we measure on (AMD Zen, bench/RESULTS.md)
 * its 8-lane gathers lose to scalar loads. It stays built and tested for machines where
 * gathers are cheap, until it is measured to win somewhere. */
static ac_kernel best_kernel(const appcore_model *m)
{
	static const ac_kernel order[] = { AC_KERNEL_HEAP_AVX512, AC_KERNEL_HEAP,
					   AC_KERNEL_HEAP_AVX2, AC_KERNEL_LOCKSTEP };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (ac_kernel_usable(m, order[i]))
			return order[i];
	return AC_KERNEL_REFERENCE;
}

int ac_layout_build(appcore_model *m, appcore_error *err)
{
	size_t splits, leaves;
	ac_layout *l;

	ac_layout_free(m->layout);
	m->layout = NULL;
	m->kernel = best_kernel(m);
	if (!heap_qualifies(m, &splits, &leaves))
		return APPCORE_OK;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	l->feature = malloc((splits ? splits : 1) * sizeof(*l->feature));
	l->threshold = malloc((splits ? splits : 1) * sizeof(*l->threshold));
	l->leaf = malloc(leaves * sizeof(*l->leaf));
	l->split_begin = malloc(m->num_trees * sizeof(*l->split_begin));
	l->leaf_begin = malloc(m->num_trees * sizeof(*l->leaf_begin));
	l->depth = malloc(m->num_trees * sizeof(*l->depth));
	if (l->feature == NULL || l->threshold == NULL || l->leaf == NULL ||
	    l->split_begin == NULL || l->leaf_begin == NULL || l->depth == NULL) {
		ac_layout_free(l);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	l->num_splits = splits;
	l->num_leaves = leaves;
	splits = leaves = 0;
	for (size_t t = 0; t < m->num_trees; t++) {
		const unsigned depth = m->tree_depths[t];

		l->split_begin[t] = (uint32_t)splits;
		l->leaf_begin[t] = (uint32_t)leaves;
		l->depth[t] = (uint8_t)depth;
		place(m, m->tree_roots[t], 0, 0, depth, l->feature + splits, l->threshold + splits,
		      l->leaf + leaves);
		splits += ((size_t)1 << depth) - 1;
		leaves += (size_t)1 << depth;
	}
	if (!build_lanes(m, l) || !build_lane_leaves(m, l)) {
		ac_layout_free(l);
		return ac_error_set(err, APPCORE_ENOMEM, "out of memory");
	}
	m->layout = l;
	m->kernel = best_kernel(m);
	return APPCORE_OK;
}

int ac_kernel_usable(const appcore_model *m, ac_kernel k)
{
	switch (k) {
	case AC_KERNEL_REFERENCE:
		return 1;
	case AC_KERNEL_LOCKSTEP:
		return !m->has_categorical;
	case AC_KERNEL_HEAP:
		return m->layout != NULL;
	case AC_KERNEL_HEAP_AVX2:
		return m->layout != NULL && ac_kernel_heap_avx2 != NULL && ac_cpu_has_avx2();
	case AC_KERNEL_HEAP_AVX512:
		return m->layout != NULL && ac_kernel_heap_avx512 != NULL && ac_cpu_has_avx512();
	default:
		return 0;
	}
}

ac_kernel_fn ac_kernel_function(ac_kernel k)
{
	switch (k) {
	case AC_KERNEL_LOCKSTEP:
		return ac_kernel_lockstep;
	case AC_KERNEL_HEAP:
		return ac_kernel_heap;
	case AC_KERNEL_HEAP_AVX2:
		return ac_kernel_heap_avx2;
	case AC_KERNEL_HEAP_AVX512:
		return ac_kernel_heap_avx512;
	default:
		return ac_engine_reference_margins;
	}
}

const char *ac_kernel_name(ac_kernel k)
{
	static const char *const names[AC_KERNEL_COUNT] = { "reference", "lockstep", "heap",
							    "heap-avx2", "heap-avx512" };

	return (unsigned)k < AC_KERNEL_COUNT ? names[k] : "unknown";
}
