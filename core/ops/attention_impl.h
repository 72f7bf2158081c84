/* Internal to the attention kernels (attention.c: forward, attention_bwd.c: backward):
 * the register-blocked product, the per-head gathers, score rows and the dropout hash.
 *
 * Every product is done by one micro-kernel (an MR x NR tile of C accumulated over a k
 * range) on per-thread copies of a head's slices, transposed and zero-padded so that
 * tiles never need edge cases: rows and columns are padded to multiples of NR, and a
 * padded entry is 0, so a padded tile adds nothing. */
#ifndef FG_CORE_ATTENTION_IMPL_H
#define FG_CORE_ATTENTION_IMPL_H

#include <math.h>

#include "kernels.h"
#include "ops_util.h"

#define MR 4  /* tile rows */
#define NR 32 /* tile columns: two AVX-512 (or four AVX2) registers per row */

/* Keys per step of the online softmax (lean forward) and per block of the backward;
 * queries per block of the backward. Multiples of NR and MR. The P and dS blocks
 * (2 x 64 x 256 floats) stay in L2 with the head's operands; 64-128 x 128-256 were
 * within 5% of each other at T = 128 and 2048, smaller blocks slower. */
#define ATT_KEY_BLOCK 256
#define ATT_ROW_BLOCK 64

static inline int64_t att_round_up(int64_t x, int64_t m) {
    return (x + m - 1) / m * m;
}

/* c[r, j] (+)= sum_{k0 <= k < k1} a[r*sam + k*sak] * b[k*ldb + j] for r < MR, j < NR.
 * The MR x NR accumulators live in registers; each k step loads one row of b and
 * broadcasts MR values of a, so a transposed a (sam = 1) costs nothing extra. `add`
 * (a constant at every call) adds the sum to c instead of storing it. */
FGK_INLINE void att_tile(float *c, int64_t ldc, const float *a, int64_t sam, int64_t sak,
                         const float *b, int64_t ldb, int64_t k0, int64_t k1, int add) {
    float acc[MR][NR];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) acc[r][j] = 0.0f;
    for (int64_t k = k0; k < k1; k++) {
        const float *bk = b + k * ldb;
        for (int r = 0; r < MR; r++) {
            float ar = a[r * sam + k * sak];
            for (int j = 0; j < NR; j++) acc[r][j] += ar * bk[j];
        }
    }
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) c[r * ldc + j] = add ? c[r * ldc + j] + acc[r][j] : acc[r][j];
}

/* MR rows of C, columns [0, ncols) (a multiple of NR): C (+)= A B over k in [k0, k1).
 * (A 4x16 tile for D = 16 heads was tried: with half the accumulators it is latency
 * bound and slower than a half-wasted 4x32 tile.) */
FGK_INLINE void att_tile_row(float *c, int64_t ldc, const float *a, int64_t sam, int64_t sak,
                             const float *b, int64_t ldb, int64_t k0, int64_t k1, int64_t ncols,
                             int add) {
    for (int64_t n0 = 0; n0 < ncols; n0 += NR)
        att_tile(c + n0, ldc, a, sam, sak, b + n0, ldb, k0, k1, add);
}

/* ---- gathers: one head's rows of a strided operand into a padded copy ---------------- */

/* Rows of a head are ts floats apart in the packed projection and usually come from
 * DRAM; the hardware prefetchers do not follow such strides across pages, so each
 * gather asks for the row 8 ahead. */
static inline void att_prefetch(const float *row, int64_t D) {
    for (int64_t i = 0; i < D; i += 16) __builtin_prefetch(row + i);
}

/* dst[t][0, D) = src + t*ts for t < n; zero up to ld columns and rows_p rows. */
FGK_INLINE void att_gather_rows(float *dst, int64_t ld, int64_t rows_p, const float *src,
                                int64_t ts, int64_t n, int64_t D) {
    for (int64_t t = 0; t < n; t++) {
        if (t + 8 < n) att_prefetch(src + (t + 8) * ts, D);
        for (int64_t i = 0; i < D; i++) dst[t * ld + i] = src[t * ts + i];
        for (int64_t i = D; i < ld; i++) dst[t * ld + i] = 0.0f;
    }
    if (rows_p > n) memset(dst + n * ld, 0, (size_t)((rows_p - n) * ld) * sizeof(float));
}

/* dst[i][t0 + t] = src[t*ts + i] for i < D, t < n (n <= 16): a 16-position block of a
 * transposed copy. A column written one float per row puts D stores ld floats apart,
 * which for long sequences (ld a multiple of 1024) all fall into one L1 set; a block
 * writes whole lines instead (at T = 2048, the row-at-a-time loop took 12% of the
 * backward). */
FGK_INLINE void att_transpose_block(float *dst, int64_t ld, int64_t t0, const float *src,
                                    int64_t ts, int64_t n, int64_t D) {
    for (int64_t i = 0; i < D; i++)
        for (int64_t t = 0; t < n; t++) dst[i * ld + t0 + t] = src[t * ts + i];
}

/* dst[i][t] = src[t*ts + i] for i < D, t < n; columns [n, ld) zero. */
FGK_INLINE void att_gather_cols(float *dst, int64_t ld, const float *src, int64_t ts, int64_t n,
                                int64_t D) {
    for (int64_t t0 = 0; t0 < n; t0 += 16) {
        for (int64_t t = t0 + 16; t < t0 + 32 && t < n; t++) att_prefetch(src + t * ts, D);
        att_transpose_block(dst, ld, t0, src + t0 * ts, ts, n - t0 < 16 ? n - t0 : 16, D);
    }
    for (int64_t i = 0; i < D; i++) memset(dst + i * ld + n, 0, (size_t)(ld - n) * sizeof(float));
}

/* ---- score rows ---------------------------------------------------------------------- */

/* s[j] = scale s[j] - slope |pos - (j0 + j)| for j < n: the scores of the query at
 * position pos against keys j0 .. j0+n-1 (positions exact in float up to 2^24). */
FGK_INLINE void att_scale_scores(float *s, int64_t n, float scale, float slope, int64_t pos,
                                 int64_t j0) {
    if (slope == 0.0f) {
#pragma omp simd
        for (int64_t j = 0; j < n; j++) s[j] *= scale;
    } else {
        const float d0 = (float)(pos - j0);
#pragma omp simd
        for (int32_t j = 0; j < (int32_t)n; j++) s[j] = s[j] * scale - slope * fabsf(d0 - (float)j);
    }
}

/* Keys the query at position pos sees among the first `kend` (all of them unless causal). */
static inline int64_t att_row_len(const fgk_attn *a, int64_t pos, int64_t kend) {
    return a->causal && pos + 1 < kend ? pos + 1 : kend;
}

/* ---- dropout on probabilities -------------------------------------------------------- */

/* Dropout of one probability row: entry j keeps with probability 1 - p, decided by
 * draw j of a splitmix64 stream keyed by (seed, b, h, query), so the backward
 * regenerates the forward's mask instead of storing it. */
typedef struct att_drop {
    uint64_t key;       /* this row's stream */
    uint64_t threshold; /* drop when the 24-bit draw is below p 2^24 */
    float keep_scale;   /* 1 / (1 - p) */
} att_drop;

static inline att_drop att_drop_row(const fgk_attn *a, int64_t b, int64_t h, int64_t t) {
    att_drop d;
    uint64_t row = (uint64_t)((b * a->H + h) * a->T + t);
    d.key = fgk__mix64(fgk__mix64(a->seed) + (row + 1) * 0xd1b54a32d192ed03ULL);
    d.threshold = (uint64_t)((double)a->dropout * 16777216.0 + 0.5);
    d.keep_scale = (float)(1.0 / (1.0 - (double)a->dropout));
    return d;
}

/* m[j] = mask of keys j0 .. j0+n-1: 1/(1-p) or 0. */
FGK_INLINE void att_drop_mask(float *m, const att_drop *d, int64_t j0, int64_t n) {
#pragma omp simd
    for (int64_t j = 0; j < n; j++) {
        uint64_t r = fgk__mix64(d->key + ((uint64_t)(j0 + j) + 1) * 0x9e3779b97f4a7c15ULL);
        m[j] = (r >> 40) >= d->threshold ? d->keep_scale : 0.0f;
    }
}

/* ---- per-thread scratch -------------------------------------------------------------- */

/* Forward, per (b, h): q [Tq][Dp], K^T [D][Sp], V [Sp][Dp], one row block of scores
 * [MR][kb] and of output [MR][Dp], a dropout mask row [kb]; kb the keys per softmax step. */
static inline size_t att_fwd_scratch(int64_t Tq, int64_t Sp, int64_t D, int64_t Dp, int64_t kb) {
    return (size_t)(Tq * Dp + D * Sp + Sp * Dp + MR * kb + MR * Dp + kb);
}

/* Backward, per (b, kv head): K^T, V^T [D][Sp]; K, dK, dV [Sp][Dp]; per query head q,
 * dO [Tq][Dp] and rowsum(dO * O) [Tq]; per block P, dS [BR][BC], a mask row [BC] and
 * dQ [BR][Dp]. */
static inline size_t att_bwd_scratch(int64_t Tq, int64_t Sp, int64_t D, int64_t Dp) {
    return (size_t)(2 * D * Sp + 3 * Sp * Dp + 2 * Tq * Dp + Tq +
                    2 * ATT_ROW_BLOCK * ATT_KEY_BLOCK + ATT_KEY_BLOCK + ATT_ROW_BLOCK * Dp);
}

#endif
