/* The engine's fast layout of a model's scalar trees, chosen at load time. Private.
 *
 * "Heap" layout: every tree of depth D is stored as a complete binary tree of D levels of
 * splits and 2^D leaves, level by level, so the children of split i are 2i+1 and 2i+2 and no
 * child index is stored or loaded. A leaf above the last level is copied into every leaf slot
 * below it, with padding splits above those copies (whichever way a row goes there, it reaches
 * the same value), so the result is exactly the reference walker's. A split is 8 bytes in two
 * arrays (feature word, threshold), which is what SIMD gathers want, and every row takes
 * exactly D steps through a tree, so lanes stay in lockstep without masks.
 *
 * Chosen when the model has no categorical split, its deepest tree is at most AC_HEAP_MAX_DEPTH
 * and padding costs at most AC_HEAP_MAX_GROWTH times the real nodes; otherwise the model keeps
 * the reference kernels (model_internal.h's nodes), which stop at each row's leaf. */
#ifndef APPCORE_ENGINE_LAYOUT_H
#define APPCORE_ENGINE_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "appcore/error.h"
#include "appcore/model.h"

#define AC_HEAP_MAX_DEPTH 12
#define AC_HEAP_MAX_GROWTH 8
/* Split feature word: the feature index, and this bit when a missing value goes right. */
#define AC_HEAP_DEFAULT_RIGHT 0x80000000u
#define AC_HEAP_FEATURE_MASK 0x7FFFFFFFu

/* The tree kernels. Each adds trees [tree_begin, tree_end) to the margins (row-major,
 * num_groups per row, already holding the base margin) of count rows, in tree order. */
typedef enum ac_kernel {
	AC_KERNEL_REFERENCE, /* reference.c: child links, stops at the leaf, every split kind */
	AC_KERNEL_LOCKSTEP,  /* predict.c: 12-byte nodes, 8 rows in lockstep, numerical only */
	AC_KERNEL_HEAP,      /* kernel_heap.c: heap layout, portable C */
	AC_KERNEL_HEAP_AVX2, /* kernel_avx2.c: heap layout, 8 lanes of AVX2 gathers */
	AC_KERNEL_HEAP_AVX512, /* kernel_avx512.c: heap layout, 16 lanes of AVX-512 gathers */
	AC_KERNEL_COUNT
} ac_kernel;

typedef struct ac_layout {
	ac_kernel kernel;      /* the one predictions use, chosen at load */
	uint32_t *feature;     /* split feature words, tree after tree */
	float *threshold;      /* split thresholds, same indexing */
	float *leaf;           /* leaf values, tree after tree */
	uint32_t *split_begin; /* per tree: its first split in feature/threshold */
	uint32_t *leaf_begin;  /* per tree: its first leaf in leaf */
	uint8_t *depth;        /* per tree: D */
	size_t num_splits, num_leaves;

	/* Tree lanes, for one row at a time: trees 16g..16g+15 (a "group") side by side. Level k
	 * of a group is 2^k vectors of 16 entries (split j of the 16 trees' level k), trees
	 * shallower than the group padded like the heap, so one row walks 16 trees with vector
	 * loads and blends and no gather. Only groups no deeper than AC_LANES_MAX_DEPTH; the
	 * others have lane_begin UINT32_MAX. */
	uint32_t *lane_feature;
	float *lane_threshold;
	uint32_t *lane_begin;  /* per group: its first entry in lane_feature/lane_threshold */
	uint8_t *lane_depth;   /* per group: its deepest tree's depth */
	size_t num_lane_groups;
	/* Leaf lanes of groups no deeper than AC_LANE_LEAVES_MAX_DEPTH (D): 2^D vectors of 16,
	 * entry j of lane i the leaf tree i reaches at position j of level D (a shallower tree's
	 * leaf repeated over the positions below it; 0 past the last tree), so a row's 16 leaves
	 * are picked by blends instead of a gather. lane_leaf_begin UINT32_MAX for other groups. */
	float *lane_leaf;
	uint32_t *lane_leaf_begin;
} ac_layout;

#define AC_LANES 16
#define AC_LANES_MAX_DEPTH 8
#define AC_LANE_LEAVES_MAX_DEPTH 4

typedef void (*ac_kernel_fn)(const appcore_model *m, const float *rows, size_t count,
			     size_t tree_begin, size_t tree_end, float *margins);

/* Build the heap layout if the model qualifies (m->layout stays NULL otherwise) and choose the
 * kernel. APPCORE_OK or APPCORE_ENOMEM. */
int ac_layout_build(appcore_model *m, appcore_error *err);
void ac_layout_free(ac_layout *layout);

/* Whether kernel k can score model m on this machine (the CPU has the instructions, the model
 * has the layout), and its function. */
int ac_kernel_usable(const appcore_model *m, ac_kernel k);
ac_kernel_fn ac_kernel_function(ac_kernel k);
const char *ac_kernel_name(ac_kernel k);

/* The kernels (the SIMD ones exist on x86-64 with GCC or Clang; elsewhere they are NULL). */
void ac_kernel_lockstep(const appcore_model *m, const float *rows, size_t count,
			size_t tree_begin, size_t tree_end, float *margins);
void ac_kernel_heap(const appcore_model *m, const float *rows, size_t count, size_t tree_begin,
		    size_t tree_end, float *margins);
extern const ac_kernel_fn ac_kernel_heap_avx2;
extern const ac_kernel_fn ac_kernel_heap_avx512;
int ac_cpu_has_avx2(void);
int ac_cpu_has_avx512(void);

#endif
