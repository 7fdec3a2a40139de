/* Shared by the heap-layout kernels (kernel_heap.c and the SIMD ones). Private. */
#ifndef APPCORE_ENGINE_KERNEL_HEAP_H
#define APPCORE_ENGINE_KERNEL_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "engine/layout.h"

/* One level down a heap-layout tree: right when !(x < threshold), which for a missing x
 * (NaN) is the node's default direction. Written branch-free: x >= threshold is false for
 * NaN, and the default-right bit fills in. */
static inline uint32_t ac_heap_step(const uint32_t *feature, const float *threshold,
				    uint32_t idx, const float *row)
{
	const uint32_t f = feature[idx];
	const float x = row[f & AC_HEAP_FEATURE_MASK];
	const uint32_t right = (uint32_t)(x >= threshold[idx]) | ((uint32_t)(x != x) & (f >> 31));

	return 2 * idx + 1 + right;
}

/* count rows, tree by tree, 8 rows in lockstep. */
void ac_kernel_heap_rows(const appcore_model *m, const float *rows, size_t count,
			 size_t tree_begin, size_t tree_end, float *margins);
/* One row, 8 trees at a time; margin is that row's num_groups margins. */
void ac_kernel_heap_trees(const appcore_model *m, const float *row, size_t tree_begin,
			  size_t tree_end, float *margin);

#endif
