/* Swish with a learned slope per channel (Ramachandran et al. 2017):
 *   y = x s,  s = sigmoid(beta_c x),  over rows of width C (beta NULL: beta_c = 1, SiLU).
 *   dy/dx = s + beta_c x s (1 - s),   dy/dbeta_c = x^2 s (1 - s).
 * The backward is parallel over columns: each thread owns a range of channels and sums
 * dbeta over all rows in row order, so the result does not depend on the thread count
 * and needs no scratch. */
#include "kernels.h"
#include "ops_util.h"

FGK_CLONES static void swish_fwd_rows(float *out, const float *x, const float *beta,
                                      int64_t lo, int64_t hi, int64_t C) {
    for (int64_t n = lo; n < hi; n++) {
        const float *xr = x + n * C;
        float *o = out + n * C;
        if (beta) {
#pragma omp simd
            for (int64_t c = 0; c < C; c++) o[c] = xr[c] * fgk__sigmoidf(beta[c] * xr[c]);
        } else {
#pragma omp simd
            for (int64_t c = 0; c < C; c++) o[c] = xr[c] * fgk__sigmoidf(xr[c]);
        }
    }
}

void fgk_swish_fwd(float *out, const float *x, const float *beta, int64_t N, int64_t C) {
#pragma omp parallel if (N * C > FGK_PAR_MIN / 4)
    {
        int64_t lo, hi;
        fgk__thread_range(N, &lo, &hi);
        swish_fwd_rows(out, x, beta, lo, hi, C);
    }
}

/* Columns [lo, hi) of every row. */
FGK_CLONES static void swish_bwd_cols(float *dx, float *dbeta, const float *x,
                                      const float *beta, const float *dout, int64_t lo,
                                      int64_t hi, int64_t N, int64_t C) {
    for (int64_t n = 0; n < N; n++) {
        const float *xr = x + n * C, *dy = dout + n * C;
        float *dxr = dx ? dx + n * C : NULL;
#pragma omp simd
        for (int64_t c = lo; c < hi; c++) {
            float b = beta ? beta[c] : 1.0f;
            float s = fgk__sigmoidf(b * xr[c]);
            float ds = s * (1.0f - s);
            if (dxr) dxr[c] += dy[c] * (s + b * xr[c] * ds);
            if (dbeta) dbeta[c] += dy[c] * (xr[c] * xr[c] * ds);
        }
    }
}

void fgk_swish_bwd(float *dx, float *dbeta, const float *x, const float *beta,
                   const float *dout, int64_t N, int64_t C) {
    if (!dx && !dbeta) return;
#pragma omp parallel if (N * C > FGK_PAR_MIN / 4)
    {
        int64_t lo, hi;
        fgk__thread_cols(dout, C, &lo, &hi);
        swish_bwd_cols(dx, dbeta, x, beta, dout, lo, hi, N, C);
    }
}
