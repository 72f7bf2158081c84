/* Row-wise softmax over the last dimension, parallel over rows. */
#include "kernels.h"
#include "ops_util.h"

FGK_CLONES static void softmax_fwd_rows(float *out, const float *x, int64_t lo, int64_t hi,
                                        int64_t C) {
    for (int64_t n = lo; n < hi; n++) {
        const float *xr = x + n * C;
        float *o = out + n * C;
        float m = fgk__max(xr, C); /* shift by the max so exp cannot overflow */
        float inv = 1.0f / fgk__exp_shift_sum(o, xr, m, C);
#pragma omp simd
        for (int64_t i = 0; i < C; i++) o[i] *= inv;
    }
}

void fgk_softmax_fwd(float *out, const float *x, int64_t N, int64_t C) {
#pragma omp parallel if (N * C > FGK_PAR_MIN / 4)
    {
        int64_t lo, hi;
        fgk__thread_range(N, &lo, &hi);
        softmax_fwd_rows(out, x, lo, hi, C);
    }
}

/* dx += y (dout - sum_j y_j dout_j) */
FGK_CLONES static void softmax_bwd_rows(float *dx, const float *y, const float *dout,
                                        int64_t lo, int64_t hi, int64_t C) {
    for (int64_t n = lo; n < hi; n++) {
        const float *yr = y + n * C, *dy = dout + n * C;
        float *d = dx + n * C;
        float s = fgk__dot(yr, dy, C);
#pragma omp simd
        for (int64_t i = 0; i < C; i++) d[i] += yr[i] * (dy[i] - s);
    }
}

void fgk_softmax_bwd(float *dx, const float *y, const float *dout, int64_t N, int64_t C) {
    if (!dx) return;
#pragma omp parallel if (N * C > FGK_PAR_MIN)
    {
        int64_t lo, hi;
        fgk__thread_range(N, &lo, &hi);
        softmax_bwd_rows(dx, y, dout, lo, hi, C);
    }
}
