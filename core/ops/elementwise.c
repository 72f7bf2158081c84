/* Elementwise helpers used by the autodiff tape. Memory-bound: one vectorised pass,
 * split into one contiguous range per thread only when n is large enough to pay for
 * the fork. Each op is a range worker compiled per ISA (FGK_CLONES) and a driver.
 * out may alias an input exactly (in place) but must not partially overlap one. */
#include "kernels.h"
#include "ops_util.h"

FGK_CLONES static void add_range(float *out, const float *a, const float *b, int64_t lo,
                                 int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) out[i] = a[i] + b[i];
}

void fgk_add(float *out, const float *a, const float *b, int64_t n) {
#pragma omp parallel if (n > FGK_PAR_MIN)
    {
        int64_t lo, hi;
        fgk__thread_range(n, &lo, &hi);
        add_range(out, a, b, lo, hi);
    }
}

FGK_CLONES static void mul_range(float *out, const float *a, const float *b, int64_t lo,
                                 int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) out[i] = a[i] * b[i];
}

void fgk_mul(float *out, const float *a, const float *b, int64_t n) {
#pragma omp parallel if (n > FGK_PAR_MIN)
    {
        int64_t lo, hi;
        fgk__thread_range(n, &lo, &hi);
        mul_range(out, a, b, lo, hi);
    }
}

FGK_CLONES static void scale_range(float *out, const float *a, float s, int64_t lo,
                                   int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) out[i] = a[i] * s;
}

void fgk_scale(float *out, const float *a, float s, int64_t n) {
#pragma omp parallel if (n > FGK_PAR_MIN)
    {
        int64_t lo, hi;
        fgk__thread_range(n, &lo, &hi);
        scale_range(out, a, s, lo, hi);
    }
}

FGK_CLONES static void acc_range(float *dst, const float *src, int64_t lo, int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) dst[i] += src[i];
}

void fgk_acc(float *dst, const float *src, int64_t n) {
#pragma omp parallel if (n > FGK_PAR_MIN)
    {
        int64_t lo, hi;
        fgk__thread_range(n, &lo, &hi);
        acc_range(dst, src, lo, hi);
    }
}

FGK_CLONES static void acc_mul_range(float *dst, const float *a, const float *b, int64_t lo,
                                     int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) dst[i] += a[i] * b[i];
}

void fgk_acc_mul(float *dst, const float *a, const float *b, int64_t n) {
#pragma omp parallel if (n > FGK_PAR_MIN)
    {
        int64_t lo, hi;
        fgk__thread_range(n, &lo, &hi);
        acc_mul_range(dst, a, b, lo, hi);
    }
}

FGK_CLONES static void acc_scale_range(float *dst, const float *src, float s, int64_t lo,
                                       int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) dst[i] += s * src[i];
}

void fgk_acc_scale(float *dst, const float *src, float s, int64_t n) {
#pragma omp parallel if (n > FGK_PAR_MIN)
    {
        int64_t lo, hi;
        fgk__thread_range(n, &lo, &hi);
        acc_scale_range(dst, src, s, lo, hi);
    }
}
