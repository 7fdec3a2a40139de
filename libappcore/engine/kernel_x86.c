/* Heap-layout kernels with x86-64 SIMD gathers: AVX2 (8 lanes) and AVX-512 (16 lanes).
 *
 * Compiled for the baseline ISA; only these functions are built for AVX2/AVX-512 (target
 * attributes), and ac_layout_build() picks them after a runtime CPU check, so one binary runs
 * everywhere. Elsewhere (other architectures, other compilers) the kernels are NULL and the
 * portable kernel_heap.c serves.
 *
 * Batches: lanes are rows. Four vectors (64 rows with AVX-512, 32 with AVX2) walk one tree
 * together, so four independent gather chains overlap; every row takes exactly the tree's
 * depth in steps (layout.h), so lanes never diverge. The first level needs no gather (every
 * row starts at the root). Each row's margin gets the trees' leaves in tree order.
 *
 * One row: lanes are trees. Up to 4 groups of 16 trees walk side by side, level by level,
 * reading their splits from per-group tables (layout.h's tree lanes) with blends and the row's
 * values from registers with permutes; their leaves are then added to the margins in tree
 * order. A single row is bound by vector loads (two a cycle when a vector sits in one cache
 * line, one when it straddles two: layout.c aligns the tables). */
#include <stddef.h>
#include <stdint.h>

#include "engine/kernel_heap.h"
#include "engine/layout.h"
#include "model/model_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

int ac_cpu_has_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
}

int ac_cpu_has_avx512(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f");
}

/* Rows of the AVX-512 kernel's batch step: 4 vectors of 16. */
#define V512 4

#define AVX512 __attribute__((target("avx512f")))
#define AVX2 __attribute__((target("avx2")))

/* Add the leaves of one vector of rows to their margins (row-major, groups per row). */
AVX512 static inline void add512(float *margins, size_t groups, uint32_t g, __m512 value)
{
	if (groups == 1) {
		_mm512_storeu_ps(margins, _mm512_add_ps(_mm512_loadu_ps(margins), value));
	} else {
		float v[16];

		_mm512_storeu_ps(v, value);
		for (size_t k = 0; k < 16; k++)
			margins[k * groups + g] += v[k];
	}
}

/* One level down for one vector of rows: p (the position within the level) becomes
 * 2p + right. */
AVX512 static inline __m512i step512(__m512i p, __m512i f, __m512 th, __m512i rowoff,
				     const float *rows)
{
	const __m512i mask = _mm512_set1_epi32((int)AC_HEAP_FEATURE_MASK);
	const __m512i one = _mm512_set1_epi32(1);
	const __m512 x = _mm512_i32gather_ps(_mm512_add_epi32(rowoff, _mm512_and_si512(f, mask)),
					     rows, 4);
	const __mmask16 ge = _mm512_cmp_ps_mask(x, th, _CMP_GE_OQ);
	const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
	const __mmask16 dr = _mm512_cmplt_epi32_mask(f, _mm512_setzero_si512());
	const __mmask16 right = (__mmask16)(ge | (nan & dr));

	p = _mm512_add_epi32(p, p);
	return _mm512_mask_add_epi32(p, right, p, one);
}

/* Entry p of a level of n entries starting at `level`, for each lane. A level of up to 32
 * entries fits one or two registers and is read with a permute, loaded once per tree and
 * shared by all rows of the block; deeper levels are gathered. */
AVX512 static inline __m512i pick512_epi32(const uint32_t *level, unsigned n, __m512i lo,
					   __m512i hi, __m512i p)
{
	if (n <= 16)
		return _mm512_permutexvar_epi32(p, lo);
	if (n == 32)
		return _mm512_permutex2var_epi32(lo, p, hi);
	return _mm512_i32gather_epi32(p, level, 4);
}

AVX512 static inline __m512 pick512_ps(const float *level, unsigned n, __m512 lo, __m512 hi,
				       __m512i p)
{
	if (n <= 16)
		return _mm512_permutexvar_ps(p, lo);
	if (n == 32)
		return _mm512_permutex2var_ps(lo, p, hi);
	return _mm512_i32gather_ps(p, level, 4);
}

/* The registers pick512_* reads for a level of n entries (unused for n > 32). */
AVX512 static inline void table512_epi32(const uint32_t *level, unsigned n, __m512i *lo,
					 __m512i *hi)
{
	if (n <= 16) {
		*lo = _mm512_maskz_loadu_epi32((__mmask16)((1u << n) - 1), level);
		*hi = *lo;
	} else if (n == 32) {
		*lo = _mm512_loadu_si512(level);
		*hi = _mm512_loadu_si512(level + 16);
	} else {
		*lo = *hi = _mm512_setzero_si512();
	}
}

AVX512 static inline void table512_ps(const float *level, unsigned n, __m512 *lo, __m512 *hi)
{
	if (n <= 16) {
		*lo = _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), level);
		*hi = *lo;
	} else if (n == 32) {
		*lo = _mm512_loadu_ps(level);
		*hi = _mm512_loadu_ps(level + 16);
	} else {
		*lo = *hi = _mm512_setzero_ps();
	}
}

/* count rows, a multiple of 16, at most 64 per call from the block loop. */
AVX512 static void rows512(const appcore_model *m, const float *rows, size_t count,
			   size_t tree_begin, size_t tree_end, float *margins)
{
	const ac_layout *l = m->layout;
	const size_t groups = m->num_groups;
	const int nf = (int)m->num_features;
	const __m512i lanes = _mm512_mullo_epi32(
		_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
		_mm512_set1_epi32(nf));

	for (size_t r = 0; r < count; r += (size_t)16 * V512) {
		const size_t vectors = (count - r) / 16 < V512 ? (count - r) / 16 : V512;
		const float *block = rows + r * (size_t)nf;
		__m512i rowoff[V512];

		for (size_t v = 0; v < V512; v++)
			rowoff[v] = _mm512_add_epi32(lanes, _mm512_set1_epi32((int)(16 * v) * nf));
		for (size_t t = tree_begin; t < tree_end; t++) {
			const uint32_t *feature = l->feature + l->split_begin[t];
			const float *threshold = l->threshold + l->split_begin[t];
			const unsigned depth = l->depth[t];
			__m512i p[V512], flo, fhi;
			__m512 tlo, thi;

			for (size_t v = 0; v < V512; v++)
				p[v] = _mm512_setzero_si512();
			for (unsigned k = 0; k < depth; k++) {
				const unsigned n = 1u << k;
				const uint32_t *fl = feature + n - 1;
				const float *tl = threshold + n - 1;

				table512_epi32(fl, n, &flo, &fhi);
				table512_ps(tl, n, &tlo, &thi);
				for (size_t v = 0; v < vectors; v++)
					p[v] = step512(p[v], pick512_epi32(fl, n, flo, fhi, p[v]),
						       pick512_ps(tl, n, tlo, thi, p[v]), rowoff[v],
						       block);
			}
			{
				const float *leaf = l->leaf + l->leaf_begin[t];
				const unsigned n = 1u << depth;

				table512_ps(leaf, n, &tlo, &thi);
				for (size_t v = 0; v < vectors; v++)
					add512(margins + (r + 16 * v) * groups, groups,
					       m->tree_groups[t],
					       pick512_ps(leaf, n, tlo, thi, p[v]));
			}
		}
	}
}

/* Split j of level k for every lane: the level's 2^k vectors, narrowed down by the bits of
 * p (binary multiplexer), with no gather. n is a constant at every call, so this unrolls. */
__attribute__((always_inline)) AVX512 static inline void
mux512(const uint32_t *feature, const float *threshold, unsigned n, __m512i p, __m512i *f,
       __m512 *th)
{
	__m512i fv[16];
	__m512 tv[16];

#pragma GCC unroll 16
	for (size_t j = 0; j < n; j++) {
		fv[j] = _mm512_loadu_si512(feature + j * AC_LANES);
		tv[j] = _mm512_loadu_ps(threshold + j * AC_LANES);
	}
	/* halves, not n / (2 * bit): GCC at -O2 does not unroll this and kept a division */
#pragma GCC unroll 4
	for (unsigned bit = 1, half = n / 2; half > 0; bit *= 2, half /= 2) {
		const __mmask16 odd = _mm512_test_epi32_mask(p, _mm512_set1_epi32((int)bit));

#pragma GCC unroll 8
		for (size_t j = 0; j < half; j++) {
			fv[j] = _mm512_mask_blend_epi32(odd, fv[2 * j], fv[2 * j + 1]);
			tv[j] = _mm512_mask_blend_ps(odd, tv[2 * j], tv[2 * j + 1]);
		}
	}
	*f = fv[0];
	*th = tv[0];
}

/* row[f] for each lane, the row held in registers: features 0-31 in row[0..1], 32-63 in
 * row[2..3] (read only when wide). */
AVX512 static inline __m512 value512(const __m512 *row, int wide, __m512i f)
{
	const __m512 low = _mm512_permutex2var_ps(row[0], f, row[1]);

	if (!wide)
		return low;
	return _mm512_mask_blend_ps(_mm512_test_epi32_mask(f, _mm512_set1_epi32(32)), low,
				    _mm512_permutex2var_ps(row[2], f, row[3]));
}

/* The 16 (count) leaves of group g once the row reached position p of the group's deepest
 * level: a tree shallower than the group reached its leaf (depth - its depth) levels above.
 * Lanes past count are 0. */
AVX512 static inline __m512 leaves512(const ac_layout *l, size_t g, size_t count, __m512i p)
{
	const __mmask16 valid = (__mmask16)(count >= AC_LANES ? 0xFFFF : (1u << count) - 1);
	const size_t t = g * AC_LANES;
	uint8_t depths[AC_LANES] = { 0 };
	const uint8_t *from = l->depth + t;

	if (count < AC_LANES) {
		for (size_t k = 0; k < count; k++)
			depths[k] = l->depth[t + k];
		from = depths;
	}
	const __m512i own = _mm512_cvtepu8_epi32(_mm_loadu_si128((const void *)from));
	const __m512i shift = _mm512_sub_epi32(_mm512_set1_epi32((int)l->lane_depth[g]), own);
	const __m512i leaf = _mm512_add_epi32(_mm512_maskz_loadu_epi32(valid, l->leaf_begin + t),
					      _mm512_srlv_epi32(p, shift));

	return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid, leaf, l->leaf, 4);
}

/* Entry p of n leaf vectors (layout.h's leaf lanes) for each lane, by blends on the bits of
 * p, lowest first, like mux512. */
__attribute__((always_inline)) AVX512 static inline __m512 leafmux512(const float *leaf,
								      unsigned n, __m512i p)
{
	__m512 v[1u << AC_LANE_LEAVES_MAX_DEPTH];

#pragma GCC unroll 16
	for (size_t j = 0; j < n; j++)
		v[j] = _mm512_loadu_ps(leaf + j * AC_LANES);
#pragma GCC unroll 4
	for (unsigned bit = 1, half = n / 2; half > 0; bit *= 2, half /= 2) {
		const __mmask16 odd = _mm512_test_epi32_mask(p, _mm512_set1_epi32((int)bit));

#pragma GCC unroll 8
		for (size_t j = 0; j < half; j++)
			v[j] = _mm512_mask_blend_ps(odd, v[2 * j], v[2 * j + 1]);
	}
	return v[0];
}

/* Level k's splits for lanes at positions p of group tables `feature`/`threshold`: the first
 * 5 levels by mux512, deeper ones gathered. */
__attribute__((always_inline)) AVX512 static inline void
level512(const uint32_t *feature, const float *threshold, unsigned k, __m512i p, __m512i *f,
	 __m512 *th)
{
	const size_t at = (((size_t)1 << k) - 1) * AC_LANES;

	switch (k) {
	case 0:
		mux512(feature + at, threshold + at, 1, p, f, th);
		break;
	case 1:
		mux512(feature + at, threshold + at, 2, p, f, th);
		break;
	case 2:
		mux512(feature + at, threshold + at, 4, p, f, th);
		break;
	case 3:
		mux512(feature + at, threshold + at, 8, p, f, th);
		break;
	case 4:
		mux512(feature + at, threshold + at, 16, p, f, th);
		break;
	default: {
		/* 32 or more splits per lane: split p of lane i is entry 16p + i */
		const __m512i lane =
			_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
		const __m512i at_p = _mm512_add_epi32(_mm512_slli_epi32(p, 4), lane);

		*f = _mm512_i32gather_epi32(at_p, feature + at, 4);
		*th = _mm512_i32gather_ps(at_p, threshold + at, 4);
		break;
	}
	}
}

/* Most lane groups walked together by walk512. */
#define WALK512_GROUPS 4

/* Level k of the G lane groups g.. for one row: each group of at least k + 1 levels moves its
 * lanes' positions p[] one level down. */
__attribute__((always_inline)) AVX512 static inline void
level512_groups(const appcore_model *m, const __m512 *row, const float *values, size_t g,
		size_t G, const unsigned *depth, unsigned k, __m512i *p)
{
	const ac_layout *l = m->layout;
	const __m512i mask = _mm512_set1_epi32((int)AC_HEAP_FEATURE_MASK);
	const __m512i one = _mm512_set1_epi32(1);
	const int wide = m->num_features > 32;

#pragma GCC unroll 4
	for (size_t i = 0; i < G; i++) {
		__m512i f;
		__m512 th, x;

		if (k >= depth[i])
			continue;
		level512(l->lane_feature + l->lane_begin[g + i],
			 l->lane_threshold + l->lane_begin[g + i], k, p[i], &f, &th);
		x = row != NULL ? value512(row, wide, f)
				: _mm512_i32gather_ps(_mm512_and_si512(f, mask), values, 4);
		const __mmask16 ge = _mm512_cmp_ps_mask(x, th, _CMP_GE_OQ);
		const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
		const __mmask16 dr = _mm512_cmplt_epi32_mask(f, _mm512_setzero_si512());

		p[i] = _mm512_add_epi32(p[i], p[i]);
		p[i] = _mm512_mask_add_epi32(p[i], (__mmask16)(ge | (nan & dr)), p[i], one);
	}
}

/* One row through the G lane groups g.. (layout.h's tree lanes), level by level, the groups
 * side by side: a group's walk is a chain of dependent steps (mux, permute, compare), and
 * stepping G groups at each level puts G chains in flight, where one group at a time left the
 * CPU waiting on each. The row's value comes from registers (`row`, rows of up to 64
 * features) or is gathered from `values`. The last group has `last` trees (it may be the
 * model's partial one); the groups' leaves go to leaves[]. G and D (the deepest group's
 * depth, or 0: read it) are constants at every call, so the loops unroll. */
__attribute__((always_inline)) AVX512 static inline void
walk512(const appcore_model *m, const __m512 *row, const float *values, size_t g, size_t G,
	size_t last, unsigned D, __m512 *leaves)
{
	const ac_layout *l = m->layout;
	__m512i p[WALK512_GROUPS];
	unsigned depth[WALK512_GROUPS], deepest = 0;

#pragma GCC unroll 4
	for (size_t i = 0; i < G; i++) {
		p[i] = _mm512_setzero_si512();
		depth[i] = l->lane_depth[g + i];
		deepest = depth[i] > deepest ? depth[i] : deepest;
	}
	if (D > 0) {
		/* D, the deepest of the groups' depths, is at most 4 (WALK512_MAX_DEPTH); written
		 * out, as clang does not unroll a loop here under sanitizers */
		level512_groups(m, row, values, g, G, depth, 0, p);
		if (D > 1)
			level512_groups(m, row, values, g, G, depth, 1, p);
		if (D > 2)
			level512_groups(m, row, values, g, G, depth, 2, p);
		if (D > 3)
			level512_groups(m, row, values, g, G, depth, 3, p);
	} else {
		for (unsigned k = 0; k < deepest; k++)
			level512_groups(m, row, values, g, G, depth, k, p);
	}
#pragma GCC unroll 4
	for (size_t i = 0; i < G; i++) {
		/* blends from the leaf lanes where the depth is known here, else a gather */
		if (D > 0 && depth[i] == D && l->lane_leaf_begin[g + i] != UINT32_MAX)
			leaves[i] = leafmux512(l->lane_leaf + l->lane_leaf_begin[g + i], 1u << D, p[i]);
		else
			leaves[i] = leaves512(l, g + i, i + 1 == G ? last : AC_LANES, p[i]);
	}
}

/* walk512 as functions of their own (trees512 stays small): one per number of groups G and
 * depth D up to WALK512_MAX_DEPTH, where every level unrolls into straight code (6 % faster
 * than a switch per level on t50), and one per G for deeper groups (levels by a switch:
 * specialising depths 5 and 6 too gained 7 % on t1000 for 73 KB more code). Rows of up to 64
 * features come in registers, by value (through memory every permute reloaded them: 4 %
 * slower on t50); wider ones are gathered. */
#define WALK512_MAX_DEPTH 4
_Static_assert(WALK512_MAX_DEPTH == 4, "walk512 writes out levels 0-3 for a given depth");
#define WALK512_AT(G, D)                                                                       \
	__attribute__((noinline)) AVX512 static void walk512_##G##_##D(                        \
		const appcore_model *m, __m512 r0, __m512 r1, __m512 r2, __m512 r3,             \
		const float *row, size_t g, size_t last, __m512 *leaves)                        \
	{                                                                                      \
		const __m512 regs[4] = { r0, r1, r2, r3 };                                     \
                                                                                               \
		if (m->num_features <= 64)                                                     \
			walk512(m, regs, row, g, G, last, D, leaves);                          \
		else                                                                           \
			walk512(m, NULL, row, g, G, last, D, leaves);                          \
	}
#define WALK512_DEPTHS(G)                                                                      \
	WALK512_AT(G, 0)                                                                       \
	WALK512_AT(G, 1)                                                                       \
	WALK512_AT(G, 2)                                                                       \
	WALK512_AT(G, 3)                                                                       \
	WALK512_AT(G, 4)
WALK512_DEPTHS(1)
WALK512_DEPTHS(2)
WALK512_DEPTHS(3)
WALK512_DEPTHS(4)

typedef void (*walk512_fn)(const appcore_model *m, __m512 r0, __m512 r1, __m512 r2, __m512 r3,
			   const float *row, size_t g, size_t last, __m512 *leaves);

/* [G - 1][D]; D 0 stands for deeper groups, whose depth the walk reads. */
static const walk512_fn walk512_table[WALK512_GROUPS][WALK512_MAX_DEPTH + 1] = {
#define WALK512_ROW(G)                                                                         \
	{ walk512_##G##_0, walk512_##G##_1, walk512_##G##_2, walk512_##G##_3, walk512_##G##_4 }
	WALK512_ROW(1), WALK512_ROW(2), WALK512_ROW(3), WALK512_ROW(4)
#undef WALK512_ROW
};

/* Add the leaves of trees [t, t + count) to the margins, one at a time in tree order
 * (XGBoost's float32 order). */
AVX512 static inline void add512_lanes(const appcore_model *m, __m512 leaves, size_t t,
				       size_t count, float *margin)
{
	float v[AC_LANES];

	_mm512_storeu_ps(v, leaves);
	if (m->num_groups == 1) {
		for (size_t k = 0; k < count; k++)
			margin[0] += v[k];
	} else {
		for (size_t k = 0; k < count; k++)
			margin[m->tree_groups[t + k]] += v[k];
	}
}

/* How many trees from t the lanes take as one group: 16, the model's partial last group (its
 * missing lanes masked off; walked with the others, a few trees there cost less than the
 * portable walker's chains of loads after them), or 0 when no lane group starts at t within
 * [t, tree_end). */
static size_t lane_trees(const appcore_model *m, size_t t, size_t tree_end)
{
	const ac_layout *l = m->layout;
	const size_t g = t / AC_LANES;
	const size_t count = m->num_trees - t < AC_LANES ? m->num_trees - t : AC_LANES;

	if (t % AC_LANES != 0 || t + count > tree_end ||
	    g >= l->num_lane_groups || l->lane_begin[g] == UINT32_MAX)
		return 0;
	return count;
}

/* One row: runs of up to WALK512_GROUPS lane groups walked together, the portable walker (8
 * trees interleaved) for trees outside lane groups; every leaf added in tree order. */
AVX512 static void trees512(const appcore_model *m, const float *row, size_t tree_begin,
			    size_t tree_end, float *margin)
{
	const ac_layout *l = m->layout;
	const size_t nf = m->num_features;
	size_t t = tree_begin;
	__m512 regs[4], leaves[WALK512_GROUPS];

	if (l->num_lane_groups == 0) {
		ac_kernel_heap_trees(m, row, tree_begin, tree_end, margin);
		return;
	}
	/* the row in registers, handed to the walks by value so that they stay there (unused
	 * beyond 64 features, where values are gathered) */
	for (size_t i = 0; i < 4; i++) {
		const size_t have = nf <= 64 && nf > 16 * i ? nf - 16 * i : 0;

		regs[i] = _mm512_maskz_loadu_ps(
			(__mmask16)(have >= 16 ? 0xFFFF : (1u << have) - 1), row + 16 * i);
	}
	while (t < tree_end) {
		size_t groups = 0, last = 0, count;
		unsigned deepest = 0;

		/* a run of groups; only the model's last one can be partial, so it ends a run */
		while (groups < WALK512_GROUPS &&
		       (count = lane_trees(m, t + groups * AC_LANES, tree_end)) > 0) {
			const unsigned depth = l->lane_depth[t / AC_LANES + groups];

			deepest = depth > deepest ? depth : deepest;
			groups++;
			last = count;
			if (count < AC_LANES)
				break;
		}
		if (groups == 0) {
			/* up to the next group boundary (or the end) */
			size_t stop = (t / AC_LANES + 1) * AC_LANES;

			stop = stop < tree_end ? stop : tree_end;
			ac_kernel_heap_trees(m, row, t, stop, margin);
			t = stop;
			continue;
		}
		walk512_table[groups - 1][deepest <= WALK512_MAX_DEPTH ? deepest : 0](
			m, regs[0], regs[1], regs[2], regs[3], row, t / AC_LANES, last, leaves);
		for (size_t i = 0; i < groups; i++) {
			count = i + 1 == groups ? last : AC_LANES;
			/* a constant count for whole groups, so that path unrolls */
			if (count == AC_LANES)
				add512_lanes(m, leaves[i], t, AC_LANES, margin);
			else
				add512_lanes(m, leaves[i], t, count, margin);
			t += count;
		}
	}
}

static void heap_avx512(const appcore_model *m, const float *rows, size_t count,
			size_t tree_begin, size_t tree_end, float *margins)
{
	const size_t batched = count / 16 * 16;

	if (batched > 0)
		rows512(m, rows, batched, tree_begin, tree_end, margins);
	for (size_t r = batched; r < count; r++)
		trees512(m, rows + r * m->num_features, tree_begin, tree_end,
			 margins + r * m->num_groups);
}

/* ---- AVX2: the batch kernel with 8 lanes; masks are vectors of all-ones lanes. Levels of up
 * to 8 splits are read by permute, deeper ones gathered. One row at a time uses the portable
 * walker: AVX2 has no cheap per-lane blends of many tables, and its gathers lose to scalar
 * loads there. ---- */

#define V256 4

/* p (position within the level) becomes 2p + right, right being 0 or -1 per lane. */
AVX2 static inline __m256i step256(__m256i p, __m256i f, __m256 th, __m256i rowoff,
				   const float *rows)
{
	const __m256i mask = _mm256_set1_epi32((int)AC_HEAP_FEATURE_MASK);
	const __m256 x = _mm256_i32gather_ps(rows, _mm256_add_epi32(rowoff, _mm256_and_si256(f, mask)),
					     4);
	const __m256i ge = _mm256_castps_si256(_mm256_cmp_ps(x, th, _CMP_GE_OQ));
	const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_UNORD_Q));
	const __m256i dr = _mm256_srai_epi32(f, 31);
	const __m256i right = _mm256_or_si256(ge, _mm256_and_si256(nan, dr));

	return _mm256_sub_epi32(_mm256_add_epi32(p, p), right);
}

AVX2 static inline void add256(float *margins, size_t groups, uint32_t g, __m256 value)
{
	if (groups == 1) {
		_mm256_storeu_ps(margins, _mm256_add_ps(_mm256_loadu_ps(margins), value));
	} else {
		float v[8];

		_mm256_storeu_ps(v, value);
		for (size_t k = 0; k < 8; k++)
			margins[k * groups + g] += v[k];
	}
}

/* A level of n entries as one register when n <= 8 (zero beyond n, read without overrun). */
AVX2 static inline __m256i table256(const int *level, unsigned n)
{
	int copy[8] = { 0 };

	if (n == 8)
		return _mm256_loadu_si256((const void *)level);
	for (unsigned j = 0; j < n; j++)
		copy[j] = level[j];
	return _mm256_loadu_si256((const void *)copy);
}

AVX2 static inline __m256i pick256(const int *level, unsigned n, __m256i table, __m256i p)
{
	return n <= 8 ? _mm256_permutevar8x32_epi32(table, p) : _mm256_i32gather_epi32(level, p, 4);
}

AVX2 static void rows256(const appcore_model *m, const float *rows, size_t count,
			 size_t tree_begin, size_t tree_end, float *margins)
{
	const ac_layout *l = m->layout;
	const size_t groups = m->num_groups;
	const int nf = (int)m->num_features;
	const __m256i lanes = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
						 _mm256_set1_epi32(nf));

	for (size_t r = 0; r < count; r += (size_t)8 * V256) {
		const size_t vectors = (count - r) / 8 < V256 ? (count - r) / 8 : V256;
		const float *block = rows + r * (size_t)nf;
		__m256i rowoff[V256];

		for (size_t v = 0; v < V256; v++)
			rowoff[v] = _mm256_add_epi32(lanes, _mm256_set1_epi32((int)(8 * v) * nf));
		for (size_t t = tree_begin; t < tree_end; t++) {
			/* thresholds travel as their bits through the integer permutes */
			const int *feature = (const int *)(l->feature + l->split_begin[t]);
			const int *threshold = (const int *)(const void *)(l->threshold + l->split_begin[t]);
			const unsigned depth = l->depth[t];
			__m256i p[V256];

			for (size_t v = 0; v < V256; v++)
				p[v] = _mm256_setzero_si256();
			for (unsigned k = 0; k < depth; k++) {
				const unsigned n = 1u << k;
				const int *fl = feature + n - 1, *tl = threshold + n - 1;
				const __m256i ft = n <= 8 ? table256(fl, n) : _mm256_setzero_si256();
				const __m256i tt = n <= 8 ? table256(tl, n) : _mm256_setzero_si256();

				for (size_t v = 0; v < vectors; v++)
					p[v] = step256(p[v], pick256(fl, n, ft, p[v]),
						       _mm256_castsi256_ps(pick256(tl, n, tt, p[v])),
						       rowoff[v], block);
			}
			{
				const int *leaf = (const int *)(const void *)(l->leaf + l->leaf_begin[t]);
				const unsigned n = 1u << depth;
				const __m256i lt = n <= 8 ? table256(leaf, n) : _mm256_setzero_si256();

				for (size_t v = 0; v < vectors; v++)
					add256(margins + (r + 8 * v) * groups, groups, m->tree_groups[t],
					       _mm256_castsi256_ps(pick256(leaf, n, lt, p[v])));
			}
		}
	}
}

static void heap_avx2(const appcore_model *m, const float *rows, size_t count, size_t tree_begin,
		      size_t tree_end, float *margins)
{
	const size_t batched = count / 8 * 8;

	if (batched > 0)
		rows256(m, rows, batched, tree_begin, tree_end, margins);
	for (size_t r = batched; r < count; r++)
		ac_kernel_heap_trees(m, rows + r * m->num_features, tree_begin, tree_end,
				     margins + r * m->num_groups);
}

const ac_kernel_fn ac_kernel_heap_avx2 = heap_avx2;
const ac_kernel_fn ac_kernel_heap_avx512 = heap_avx512;

#else

int ac_cpu_has_avx2(void)
{
	return 0;
}

int ac_cpu_has_avx512(void)
{
	return 0;
}

const ac_kernel_fn ac_kernel_heap_avx2 = NULL;
const ac_kernel_fn ac_kernel_heap_avx512 = NULL;

#endif
