/* Rotary position embedding (RoFormer, Su et al. 2021), with the "rotate half" pairing
 * of GPT-NeoX and HF LLaMA: in a head of width D, dims i and i + D/2 (i < D/2) turn
 * together by theta = pos * base^(-2i/D). Rows are independent, so both directions are
 * parallel over rows; the backward is the inverse rotation (a rotation's transpose). */
#include <math.h>

#include "kernels.h"
#include "ops_util.h"

void fgk_rope_table(float *table, int64_t T, int64_t D, int64_t pos0, double base) {
    const int64_t half = D / 2;
    for (int64_t i = 0; i < half; i++) {
        /* Angles in double: pos * freq loses digits in float once pos reaches thousands. */
        double freq = pow(base, -2.0 * (double)i / (double)D);
        for (int64_t t = 0; t < T; t++) {
            double theta = (double)(pos0 + t) * freq;
            table[t * D + i] = (float)cos(theta);
            table[t * D + half + i] = (float)sin(theta);
        }
    }
}

/* Rows [lo, hi) of x [rows, W], row r at sequence position r % T. sign = +1 rotates
 * forward, -1 by the inverse; accumulate adds into out (backward) instead of storing.
 * Inlined into the two entry points below with constant sign and accumulate, so the
 * forward never reads the (uninitialised) output. */
FGK_INLINE void rope_rows(float *out, const float *x, const float *table, int64_t lo,
                                 int64_t hi, int64_t T, int64_t W, int64_t n_heads, int64_t D,
                                 float sign, int accumulate) {
    const int64_t half = D / 2, rotated = n_heads * D;
    for (int64_t r = lo; r < hi; r++) {
        const float *cs = table + (r % T) * D, *sn = cs + half;
        const float *xr = x + r * W;
        float *o = out + r * W;
        for (int64_t h = 0; h < n_heads; h++) {
            const float *a = xr + h * D, *b = a + half;
            float *oa = o + h * D, *ob = oa + half;
#pragma omp simd
            for (int64_t i = 0; i < half; i++) {
                float s = sign * sn[i];
                float ra = a[i] * cs[i] - b[i] * s;
                float rb = b[i] * cs[i] + a[i] * s;
                oa[i] = accumulate ? oa[i] + ra : ra;
                ob[i] = accumulate ? ob[i] + rb : rb;
            }
        }
#pragma omp simd
        for (int64_t c = rotated; c < W; c++) o[c] = accumulate ? o[c] + xr[c] : xr[c];
    }
}

FGK_CLONES static void rope_fwd_rows(float *out, const float *x, const float *table,
                                     int64_t lo, int64_t hi, int64_t T, int64_t W,
                                     int64_t n_heads, int64_t D) {
    rope_rows(out, x, table, lo, hi, T, W, n_heads, D, 1.0f, 0);
}

FGK_CLONES static void rope_bwd_rows(float *dx, const float *dout, const float *table,
                                     int64_t lo, int64_t hi, int64_t T, int64_t W,
                                     int64_t n_heads, int64_t D) {
    rope_rows(dx, dout, table, lo, hi, T, W, n_heads, D, -1.0f, 1);
}

void fgk_rope_fwd(float *out, const float *x, const float *table, int64_t B, int64_t T,
                  int64_t W, int64_t n_heads, int64_t D) {
#pragma omp parallel if (B * T * W > FGK_PAR_MIN)
    {
        int64_t lo, hi;
        fgk__thread_range(B * T, &lo, &hi);
        rope_fwd_rows(out, x, table, lo, hi, T, W, n_heads, D);
    }
}

void fgk_rope_bwd(float *dx, const float *dout, const float *table, int64_t B, int64_t T,
                  int64_t W, int64_t n_heads, int64_t D) {
    if (!dx) return;
#pragma omp parallel if (B * T * W > FGK_PAR_MIN)
    {
        int64_t lo, hi;
        fgk__thread_range(B * T, &lo, &hi);
        rope_bwd_rows(dx, dout, table, lo, hi, T, W, n_heads, D);
    }
}
