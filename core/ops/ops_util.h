/* Shared helpers for the CPU kernels in core/ops (internal; not part of kernels.h).
 *
 * Numerics policy, which every kernel follows so that results are bit-identical run
 * after run, for ANY thread count, and on any x86-64 (AVX-512, AVX2 or plain SSE2):
 *  - No reduction is reordered by the compiler: we never use `omp simd reduction` or
 *    -ffast-math. Vectorised reductions keep FGK_LANES explicit partial sums whose order
 *    is fixed by the source, so SSE2/AVX2/AVX-512 builds produce the same bits.
 *  - No fmaf(): -std=c11 turns floating-point contraction off, so a*b+c is always two
 *    roundings on every ISA. (Zen 5 has separate FMUL and FADD pipes, so this costs
 *    latency, not throughput.)
 *  - Reductions over rows use fixed row chunks (FGK_ROW_CHUNK) or are parallelised over
 *    output columns, so the partition does not depend on the number of threads. */
#ifndef FG_CORE_OPS_UTIL_H
#define FG_CORE_OPS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* Hot loops are compiled three times and picked at load time (GNU ifunc), so a generic
 * x86-64 build still runs 16-wide on AVX-512 machines. Every clone computes the same
 * bits (see above). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(FGK_NO_CLONES)
#define FGK_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FGK_CLONES
#endif

#define FGK_INLINE static inline __attribute__((always_inline))

/* Below this many elements a parallel region costs more than it saves. */
#define FGK_PAR_MIN 32768

/* Rows per partial sum in row reductions (layernorm/rmsnorm dw, db). Fixed, so the sum
 * order is independent of the thread count. */
#define FGK_ROW_CHUNK 64

/* Width of the explicit partial sums in vectorised reductions (one AVX-512 register). */
#define FGK_LANES 16

static inline int fgk__nthreads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* This thread's contiguous share [*lo, *hi) of n items inside a parallel region. */
static inline void fgk__thread_range(int64_t n, int64_t *lo, int64_t *hi) {
#ifdef _OPENMP
    int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
#else
    int64_t nt = 1, t = 0;
#endif
    *lo = n * t / nt;
    *hi = n * (t + 1) / nt;
}

/* Like fgk__thread_range but with boundaries on multiples of `align` items, so threads
 * splitting the columns of a row never write to the same cache line. */
static inline void fgk__thread_range_aligned(int64_t n, int64_t align, int64_t *lo,
                                             int64_t *hi) {
    int64_t blocks = (n + align - 1) / align, blo, bhi;
    fgk__thread_range(blocks, &blo, &bhi);
    *lo = blo * align < n ? blo * align : n;
    *hi = bhi * align < n ? bhi * align : n;
}

/* A 64-byte aligned buffer of at least n floats owned by the calling thread; grown
 * (never shrunk) on demand and reused by every kernel that runs on this thread, so
 * steady-state training does not allocate. Contents are undefined. A kernel must not
 * hold it across a call to another kernel that also uses it. Aborts on OOM. */
float *fgk__scratch(size_t n);

/* ---- bit casts and a vectorisable expf ------------------------------------------ */

FGK_INLINE uint32_t fgk__f2u(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

FGK_INLINE float fgk__u2f(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* exp(x) in float, max relative error ~2 ulp (Cephes expf polynomial with Cody-Waite
 * range reduction). Branch-free, so loops calling it vectorise (libm expf does not
 * without -ffast-math). exp(x) = +inf for x > 88.37 (libm: 88.72), 0 for x < -87.33
 * (libm returns denormals down to -103.9), NaN -> NaN. */
FGK_INLINE float fgk__expf(float x) {
    const float hi = 88.37f, lo = -87.33f;
    float xc = x > hi ? hi : x; /* comparisons are false for NaN, so NaN flows through */
    xc = xc < lo ? lo : xc;
    /* n = round(x / ln2): adding 1.5*2^23 rounds to an integer held in the low bits. */
    const float magic = 12582912.0f;
    float t = xc * 1.44269504088896341f + magic;
    float n = t - magic;
    float r = xc - n * 0.693359375f;   /* ln2 split in two so n*C1 is exact */
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    /* 2^n from the integer in t's mantissa; unsigned so NaN garbage cannot overflow. */
    uint32_t e = (fgk__f2u(t) - fgk__f2u(magic) + 127u) << 23;
    float y = p * fgk__u2f(e);
    y = x > hi ? __builtin_inff() : y;
    y = x < lo ? 0.0f : y;
    return y;
}

/* 1 / (1 + exp(-x)), accurate in both tails (no 1 - tiny cancellation). */
FGK_INLINE float fgk__sigmoidf(float x) {
    return 1.0f / (1.0f + fgk__expf(-x));
}

/* ---- fixed-order vectorisable reductions ---------------------------------------- */

/* Folds FGK_LANES partial sums in a fixed pairwise order. */
FGK_INLINE float fgk__fold_sum(float *acc) {
    for (int w = FGK_LANES / 2; w > 0; w /= 2)
        for (int j = 0; j < w; j++) acc[j] += acc[j + w];
    return acc[0];
}

FGK_INLINE float fgk__sum(const float *x, int64_t n) {
    float acc[FGK_LANES] = {0};
    int64_t i = 0;
    for (; i + FGK_LANES <= n; i += FGK_LANES)
        for (int j = 0; j < FGK_LANES; j++) acc[j] += x[i + j];
    for (int j = 0; i < n; i++, j++) acc[j] += x[i];
    return fgk__fold_sum(acc);
}

FGK_INLINE float fgk__dot(const float *a, const float *b, int64_t n) {
    float acc[FGK_LANES] = {0};
    int64_t i = 0;
    for (; i + FGK_LANES <= n; i += FGK_LANES)
        for (int j = 0; j < FGK_LANES; j++) acc[j] += a[i + j] * b[i + j];
    for (int j = 0; i < n; i++, j++) acc[j] += a[i] * b[i];
    return fgk__fold_sum(acc);
}

/* Sum of (x[i] - m)^2: the second pass of a two-pass variance. */
FGK_INLINE float fgk__sumsq_centered(const float *x, float m, int64_t n) {
    float acc[FGK_LANES] = {0};
    int64_t i = 0;
    for (; i + FGK_LANES <= n; i += FGK_LANES)
        for (int j = 0; j < FGK_LANES; j++) {
            float d = x[i + j] - m;
            acc[j] += d * d;
        }
    for (int j = 0; i < n; i++, j++) {
        float d = x[i] - m;
        acc[j] += d * d;
    }
    return fgk__fold_sum(acc);
}

/* max of x[0..n), n >= 1. NaNs are skipped unless x[0] is NaN (callers don't care). */
FGK_INLINE float fgk__max(const float *x, int64_t n) {
    float acc[FGK_LANES];
    for (int j = 0; j < FGK_LANES; j++) acc[j] = x[0];
    int64_t i = 0;
    for (; i + FGK_LANES <= n; i += FGK_LANES)
        for (int j = 0; j < FGK_LANES; j++) acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
    for (int j = 0; i < n; i++, j++) acc[j] = x[i] > acc[j] ? x[i] : acc[j];
    for (int w = FGK_LANES / 2; w > 0; w /= 2)
        for (int j = 0; j < w; j++) acc[j] = acc[j + w] > acc[j] ? acc[j + w] : acc[j];
    return acc[0];
}

/* y[i] = exp(x[i] - m); returns the sum of the y[i] (fixed order). y may alias x. */
FGK_INLINE float fgk__exp_shift_sum(float *y, const float *x, float m, int64_t n) {
    float acc[FGK_LANES] = {0};
    int64_t i = 0;
    for (; i + FGK_LANES <= n; i += FGK_LANES)
        for (int j = 0; j < FGK_LANES; j++) {
            float e = fgk__expf(x[i + j] - m);
            y[i + j] = e;
            acc[j] += e;
        }
    for (int j = 0; i < n; i++, j++) {
        float e = fgk__expf(x[i] - m);
        y[i] = e;
        acc[j] += e;
    }
    return fgk__fold_sum(acc);
}

/* Sum of exp(x[i] - m) without storing. */
FGK_INLINE float fgk__sum_exp_shift(const float *x, float m, int64_t n) {
    float acc[FGK_LANES] = {0};
    int64_t i = 0;
    for (; i + FGK_LANES <= n; i += FGK_LANES)
        for (int j = 0; j < FGK_LANES; j++) acc[j] += fgk__expf(x[i + j] - m);
    for (int j = 0; i < n; i++, j++) acc[j] += fgk__expf(x[i] - m);
    return fgk__fold_sum(acc);
}

#endif
