/* Elementwise activations. Each is a range worker compiled per ISA plus a driver that
 * gives every thread one contiguous range. exp goes through fgk__expf so the loops
 * vectorise; the results differ from libm-based formulas by a few ulp. */
#include "kernels.h"
#include "ops_util.h"

/* GELU, tanh approximation (GPT-2, PyTorch approximate='tanh'):
 *   gelu(x) = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3).
 * We use the identity 0.5 (1 + tanh(u)) = sigmoid(2u): it needs one exp and, unlike
 * 1 + tanh(u) for very negative u, has no cancellation. */
#define GELU_K0 0.7978845608028654f /* sqrt(2/pi) */
#define GELU_K1 0.044715f

FGK_CLONES static void gelu_fwd_range(float *out, const float *x, int64_t lo, int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) {
        float xi = x[i];
        float u = GELU_K0 * (xi + GELU_K1 * xi * xi * xi);
        out[i] = xi * fgk__sigmoidf(2.0f * u);
    }
}

void fgk_gelu_fwd(float *out, const float *x, int64_t n) {
#pragma omp parallel if (n > FGK_PAR_MIN / 4)
    {
        int64_t lo, hi;
        fgk__thread_range(n, &lo, &hi);
        gelu_fwd_range(out, x, lo, hi);
    }
}

/* d/dx [x s(2u)] = s + x s (1 - s) 2 u',  u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2). */
FGK_CLONES static void gelu_bwd_range(float *dx, const float *x, const float *dout, int64_t lo,
                                      int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) {
        float xi = x[i];
        float x2 = xi * xi;
        float u = GELU_K0 * (xi + GELU_K1 * x2 * xi);
        float s = fgk__sigmoidf(2.0f * u);
        float du = GELU_K0 * (1.0f + 3.0f * GELU_K1 * x2);
        float grad = s + xi * s * (1.0f - s) * 2.0f * du;
        dx[i] += dout[i] * grad;
    }
}

void fgk_gelu_bwd(float *dx, const float *x, const float *dout, int64_t n) {
    if (!dx) return;
#pragma omp parallel if (n > FGK_PAR_MIN / 4)
    {
        int64_t lo, hi;
        fgk__thread_range(n, &lo, &hi);
        gelu_bwd_range(dx, x, dout, lo, hi);
    }
}

/* SiLU (swish): x * sigmoid(x); derivative s (1 + x (1 - s)). */
FGK_CLONES static void silu_fwd_range(float *out, const float *x, int64_t lo, int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) out[i] = x[i] * fgk__sigmoidf(x[i]);
}

void fgk_silu_fwd(float *out, const float *x, int64_t n) {
#pragma omp parallel if (n > FGK_PAR_MIN / 4)
    {
        int64_t lo, hi;
        fgk__thread_range(n, &lo, &hi);
        silu_fwd_range(out, x, lo, hi);
    }
}

FGK_CLONES static void silu_bwd_range(float *dx, const float *x, const float *dout, int64_t lo,
                                      int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) {
        float s = fgk__sigmoidf(x[i]);
        dx[i] += dout[i] * (s * (1.0f + x[i] * (1.0f - s)));
    }
}

void fgk_silu_bwd(float *dx, const float *x, const float *dout, int64_t n) {
    if (!dx) return;
#pragma omp parallel if (n > FGK_PAR_MIN / 4)
    {
        int64_t lo, hi;
        fgk__thread_range(n, &lo, &hi);
        silu_bwd_range(dx, x, dout, lo, hi);
    }
}

/* ReLU; the derivative at 0 is taken as 0 (as PyTorch). */
FGK_CLONES static void relu_fwd_range(float *out, const float *x, int64_t lo, int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void fgk_relu_fwd(float *out, const float *x, int64_t n) {
#pragma omp parallel if (n > FGK_PAR_MIN)
    {
        int64_t lo, hi;
        fgk__thread_range(n, &lo, &hi);
        relu_fwd_range(out, x, lo, hi);
    }
}

FGK_CLONES static void relu_bwd_range(float *dx, const float *x, const float *dout, int64_t lo,
                                      int64_t hi) {
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) {
        float g = dout[i]; /* loaded unconditionally so the select vectorises everywhere */
        dx[i] += x[i] > 0.0f ? g : 0.0f;
    }
}

void fgk_relu_bwd(float *dx, const float *x, const float *dout, int64_t n) {
    if (!dx) return;
#pragma omp parallel if (n > FGK_PAR_MIN)
    {
        int64_t lo, hi;
        fgk__thread_range(n, &lo, &hi);
        relu_bwd_range(dx, x, dout, lo, hi);
    }
}
