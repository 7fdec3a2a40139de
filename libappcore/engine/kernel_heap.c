/* Heap-layout kernel in portable C (layout.h): every architecture, and the yardstick the SIMD
 * kernels are measured against. Batches walk 8 rows through a tree in lockstep; a row on its
 * own walks 8 trees at once instead. Either way several independent chains of loads are in
 * flight, and each row still adds its trees' leaves in tree order. */
#include "engine/layout.h"
#include "engine/kernel_heap.h"
#include "model/model_internal.h"

#define LANES 8

void ac_kernel_heap_rows(const appcore_model *m, const float *rows, size_t count,
			 size_t tree_begin, size_t tree_end, float *margins)
{
	const ac_layout *l = m->layout;
	const size_t nf = m->num_features, groups = m->num_groups;

	for (size_t t = tree_begin; t < tree_end; t++) {
		const uint32_t *feature = l->feature + l->split_begin[t];
		const float *threshold = l->threshold + l->split_begin[t];
		const unsigned depth = l->depth[t];
		const float *leaf = l->leaf + l->leaf_begin[t];
		const uint32_t first_leaf = (1u << depth) - 1;
		const uint32_t g = m->tree_groups[t];
		size_t r = 0;

		for (; r + LANES <= count; r += LANES) {
			uint32_t idx[LANES] = { 0 };

			for (unsigned d = 0; d < depth; d++)
				for (size_t k = 0; k < LANES; k++)
					idx[k] = ac_heap_step(feature, threshold, idx[k],
							      rows + (r + k) * nf);
			for (size_t k = 0; k < LANES; k++)
				margins[(r + k) * groups + g] += leaf[idx[k] - first_leaf];
		}
		for (; r < count; r++) {
			uint32_t idx = 0;

			for (unsigned d = 0; d < depth; d++)
				idx = ac_heap_step(feature, threshold, idx, rows + r * nf);
			margins[r * groups + g] += leaf[idx - first_leaf];
		}
	}
}

void ac_kernel_heap_trees(const appcore_model *m, const float *row, size_t tree_begin,
			  size_t tree_end, float *margin)
{
	const ac_layout *l = m->layout;
	size_t t = tree_begin;

	for (; t + LANES <= tree_end; t += LANES) {
		uint32_t idx[LANES] = { 0 };
		unsigned depth[LANES], deepest = 0;
		float value[LANES];

		for (size_t k = 0; k < LANES; k++) {
			depth[k] = l->depth[t + k];
			deepest = depth[k] > deepest ? depth[k] : deepest;
		}
		for (unsigned d = 0; d < deepest; d++)
			for (size_t k = 0; k < LANES; k++)
				if (d < depth[k])
					idx[k] = ac_heap_step(l->feature + l->split_begin[t + k],
							      l->threshold + l->split_begin[t + k],
							      idx[k], row);
		for (size_t k = 0; k < LANES; k++)
			value[k] = l->leaf[l->leaf_begin[t + k] + idx[k] - ((1u << depth[k]) - 1)];
		for (size_t k = 0; k < LANES; k++)
			margin[m->tree_groups[t + k]] += value[k];
	}
	for (; t < tree_end; t++) {
		const uint32_t *feature = l->feature + l->split_begin[t];
		const float *threshold = l->threshold + l->split_begin[t];
		const unsigned depth = l->depth[t];
		uint32_t idx = 0;

		for (unsigned d = 0; d < depth; d++)
			idx = ac_heap_step(feature, threshold, idx, row);
		margin[m->tree_groups[t]] += l->leaf[l->leaf_begin[t] + idx - ((1u << depth) - 1)];
	}
}

void ac_kernel_heap(const appcore_model *m, const float *rows, size_t count, size_t tree_begin,
		    size_t tree_end, float *margins)
{
	const size_t batched = count / LANES * LANES;

	if (batched > 0)
		ac_kernel_heap_rows(m, rows, batched, tree_begin, tree_end, margins);
	for (size_t r = batched; r < count; r++)
		ac_kernel_heap_trees(m, rows + r * m->num_features, tree_begin, tree_end,
				     margins + r * m->num_groups);
}
