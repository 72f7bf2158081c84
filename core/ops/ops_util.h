/* Shared helpers for the CPU kernels in core/ops (internal; not part of kernels.h).
 *
 * Numerics policy, which every kernel follows so that results are bit-identical run
 * after run, for ANY thread count, and on any x86-64 (AVX-512, AVX2 or plain SSE2):
 *  - No sum is reordered by the compiler: no -ffast-math, and no `omp simd reduction`
 *    except for max, which is exact. Vectorised sums keep FGK_LANES explicit partial
 *    sums whose order is fixed by the source, so SSE2/AVX2/AVX-512 builds (and -O2 vs
 *    -O3) produce the same bits.
 *  - No fmaf() and no contraction (see the pragma below), so a*b+c is always two
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

/* Two code-generation settings for everything that includes this header:
 *  - no-trapping-math: the kernels never look at floating-point exception flags.
 *    Telling gcc so lets it turn the branch-free selects in fgk__expf & co. into
 *    blends on AVX2/SSE2 (with the default -ftrapping-math it refuses to if-convert
 *    them and leaves those loops scalar, ~7x slower). It changes no value.
 *  - fp-contract=off: -std=c11 already implies it, but a -std=gnu11 build would fuse
 *    a*b+c into FMAs on FMA-capable clones only, and the clones would disagree. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "fp-contract=off")
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

/* Number of explicit partial sums in vectorised reductions (four AVX-512 registers). */
#define FGK_LANES 64

/* splitmix64 finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mixer, the source of
 * the counter-based random streams of dropout (element i takes draw i of a stream). */
static inline uint64_t fgk__mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
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

/* Cut k of n columns split into nblocks blocks: [0, first), then 32-float blocks. */
static inline int64_t fgk__col_cut(int64_t k, int64_t nblocks, int64_t first, int64_t n) {
    if (k == 0) return 0;
    if (k == nblocks) return n;
    return first + 32 * (k - 1) < n ? first + 32 * (k - 1) : n;
}

/* This thread's share [*lo, *hi) of the n columns of rows starting at `base`, cut on
 * 128-byte boundaries of base (a pair of lines, which the L2 prefetcher fetches
 * together), so that threads updating the same rows never touch the same cache line
 * (exact when the row stride is a multiple of 32 floats). Rows split at a shared line
 * made 2-thread embedding backward slower than 1 thread. */
static inline void fgk__thread_cols(const float *base, int64_t n, int64_t *lo, int64_t *hi) {
    /* block 0 is [0, first), up to the first 128-byte boundary; then 32 floats each */
    int64_t first = (int64_t)((32 - ((uintptr_t)base / sizeof(float)) % 32) % 32);
    int64_t nblocks = 1 + (n > first ? (n - first + 31) / 32 : 0);
    int64_t blo, bhi;
    fgk__thread_range(nblocks, &blo, &bhi);
    *lo = fgk__col_cut(blo, nblocks, first, n);
    *hi = fgk__col_cut(bhi, nblocks, first, n);
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
    /* exp(r) = 1 + r + r^2 q(r), q evaluated by Estrin's scheme: a shorter dependency
     * chain than Horner's, so more iterations of a vector loop overlap */
    float r2 = r * r, r4 = r2 * r2;
    float q = (5.0000001201e-1f + 1.6666665459e-1f * r) +
              r2 * (4.1665795894e-2f + 8.3334519073e-3f * r) +
              r4 * (1.3981999507e-3f + 1.9875691500e-4f * r);
    float p = (q * r2 + r) + 1.0f;
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
/* Element i of a row goes to lane i % FGK_LANES; lanes are then folded pairwise. The
 * `omp simd` loops run across independent lanes (no reassociation), which makes gcc
 * vectorise them even at -O2; 64 lanes = 4 AVX-512 registers, enough independent
 * chains to hide the add latency. */

/* Pairwise fold of the 64 lanes: 64 -> 32 -> 16 in vector adds, then 8 -> 4 -> 2 -> 1.
 * Spelled out level by level, because gcc compiles the generic loop nest into a
 * store/reload chain that costs twice as much. */
_Static_assert(FGK_LANES == 64, "fgk__fold_sum is written for 64 lanes");
FGK_INLINE float fgk__fold_sum(float *acc) {
#pragma omp simd
    for (int j = 0; j < 32; j++) acc[j] += acc[j + 32];
#pragma omp simd
    for (int j = 0; j < 16; j++) acc[j] += acc[j + 16];
    float s8[8], s4[4];
    for (int j = 0; j < 8; j++) s8[j] = acc[j] + acc[j + 8];
    for (int j = 0; j < 4; j++) s4[j] = s8[j] + s8[j + 4];
    return (s4[0] + s4[2]) + (s4[1] + s4[3]);
}

FGK_INLINE float fgk__sum(const float *x, int64_t n) {
    float acc[FGK_LANES] = {0};
    int64_t i = 0;
    for (; i + FGK_LANES <= n; i += FGK_LANES) {
#pragma omp simd
        for (int j = 0; j < FGK_LANES; j++) acc[j] += x[i + j];
    }
    int64_t rem = n - i;
#pragma omp simd
    for (int64_t j = 0; j < rem; j++) acc[j] += x[i + j];
    return fgk__fold_sum(acc);
}

FGK_INLINE float fgk__dot(const float *a, const float *b, int64_t n) {
    float acc[FGK_LANES] = {0};
    int64_t i = 0;
    for (; i + FGK_LANES <= n; i += FGK_LANES) {
#pragma omp simd
        for (int j = 0; j < FGK_LANES; j++) acc[j] += a[i + j] * b[i + j];
    }
    int64_t rem = n - i;
#pragma omp simd
    for (int64_t j = 0; j < rem; j++) acc[j] += a[i + j] * b[i + j];
    return fgk__fold_sum(acc);
}

/* Sum of (x[i] - m)^2: the second pass of a two-pass variance. */
FGK_INLINE float fgk__sumsq_centered(const float *x, float m, int64_t n) {
    float acc[FGK_LANES] = {0};
    int64_t i = 0;
    for (; i + FGK_LANES <= n; i += FGK_LANES) {
#pragma omp simd
        for (int j = 0; j < FGK_LANES; j++) acc[j] += (x[i + j] - m) * (x[i + j] - m);
    }
    int64_t rem = n - i;
#pragma omp simd
    for (int64_t j = 0; j < rem; j++) acc[j] += (x[i + j] - m) * (x[i + j] - m);
    return fgk__fold_sum(acc);
}

/* max of x[0..n), n >= 1. Max is exact, so any order gives the same value, up to the
 * sign of a zero, which no caller can observe (they use it as a shift, x - max). If x
 * holds a NaN the result is unspecified, but the callers' results are NaN anyway. */
FGK_INLINE float fgk__max(const float *x, int64_t n) {
    float m = x[0];
#pragma omp simd reduction(max : m)
    for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

/* y[i] = exp(x[i] - m); returns the sum of the y[i] (fixed order). y may alias x. */
FGK_INLINE float fgk__exp_shift_sum(float *y, const float *x, float m, int64_t n) {
    float acc[FGK_LANES] = {0};
    int64_t i = 0;
    for (; i + FGK_LANES <= n; i += FGK_LANES) {
#pragma omp simd
        for (int j = 0; j < FGK_LANES; j++) {
            float e = fgk__expf(x[i + j] - m);
            y[i + j] = e;
            acc[j] += e;
        }
    }
    int64_t rem = n - i;
#pragma omp simd
    for (int64_t j = 0; j < rem; j++) {
        float e = fgk__expf(x[i + j] - m);
        y[i + j] = e;
        acc[j] += e;
    }
    return fgk__fold_sum(acc);
}

/* Sum of exp(x[i] - m) without storing. */
FGK_INLINE float fgk__sum_exp_shift(const float *x, float m, int64_t n) {
    float acc[FGK_LANES] = {0};
    int64_t i = 0;
    for (; i + FGK_LANES <= n; i += FGK_LANES) {
#pragma omp simd
        for (int j = 0; j < FGK_LANES; j++) acc[j] += fgk__expf(x[i + j] - m);
    }
    int64_t rem = n - i;
#pragma omp simd
    for (int64_t j = 0; j < rem; j++) acc[j] += fgk__expf(x[i + j] - m);
    return fgk__fold_sum(acc);
}

#endif
