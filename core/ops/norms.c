/* LayerNorm and RMSNorm over the last dimension (rows of length C).
 *
 * Forward is parallel over rows. Backward computes dx per row and reduces dw (and db)
 * over rows deterministically: rows are cut into fixed chunks of FGK_ROW_CHUNK, each
 * chunk sums its rows in order into its own partial row (scratch), and the partials are
 * then added in chunk order, parallel over columns. The chunking does not depend on the
 * thread count, so gradients are bit-identical for any number of threads.
 * Scratch: fgk__scratch(nchunks * 2C) on the calling thread. */
#include <math.h>

#include "kernels.h"
#include "ops_util.h"

/* dst[c] += sum over chunks k (in order) of part[k * stride + c], for c in [lo, hi).
 * Blocked over columns so the inner loop runs along contiguous memory. */
FGK_CLONES static void add_partials(float *dst, const float *part, int64_t nchunks,
                                    int64_t stride, int64_t lo, int64_t hi) {
    enum { BLK = 256 };
    for (int64_t c0 = lo; c0 < hi; c0 += BLK) {
        int64_t nc = hi - c0 < BLK ? hi - c0 : BLK;
        float s[BLK] = {0};
        for (int64_t k = 0; k < nchunks; k++) {
            const float *p = part + k * stride + c0;
#pragma omp simd
            for (int64_t c = 0; c < nc; c++) s[c] += p[c];
        }
#pragma omp simd
        for (int64_t c = 0; c < nc; c++) dst[c0 + c] += s[c];
    }
}

/* ---- LayerNorm ---------------------------------------------------------------------- */

FGK_CLONES static void layernorm_fwd_rows(float *out, float *mean, float *rstd,
                                          const float *x, const float *w, const float *b,
                                          int64_t lo, int64_t hi, int64_t C, float eps) {
    for (int64_t n = lo; n < hi; n++) {
        const float *xr = x + n * C;
        float *o = out + n * C;
        /* two passes over a row that sits in L1: exact-ish and cheap */
        float m = fgk__sum(xr, C) / (float)C;
        float v = fgk__sumsq_centered(xr, m, C) / (float)C;
        float s = 1.0f / sqrtf(v + eps);
        if (b) {
#pragma omp simd
            for (int64_t i = 0; i < C; i++) o[i] = (xr[i] - m) * s * w[i] + b[i];
        } else {
#pragma omp simd
            for (int64_t i = 0; i < C; i++) o[i] = (xr[i] - m) * s * w[i];
        }
        if (mean) mean[n] = m;
        if (rstd) rstd[n] = s;
    }
}

void fgk_layernorm_fwd(float *out, float *mean, float *rstd, const float *x, const float *w,
                       const float *b, int64_t N, int64_t C, float eps) {
#pragma omp parallel if (N * C > FGK_PAR_MIN)
    {
        int64_t lo, hi;
        fgk__thread_range(N, &lo, &hi);
        layernorm_fwd_rows(out, mean, rstd, x, w, b, lo, hi, C, eps);
    }
}

/* Rows [lo, hi): dx += rstd (dnorm - mean(dnorm) - xhat mean(dnorm xhat)) with
 * dnorm = dout * w, xhat = (x - mean) rstd; pw += dout * xhat and pb += dout (the chunk's
 * partials, overwritten first). Any of dx, pw, pb may be NULL. */
FGK_CLONES static void layernorm_bwd_rows(float *dx, float *pw, float *pb, const float *dout,
                                          const float *x, const float *w, const float *mean,
                                          const float *rstd, int64_t lo, int64_t hi,
                                          int64_t C) {
    if (pw) memset(pw, 0, (size_t)C * sizeof(float));
    if (pb) memset(pb, 0, (size_t)C * sizeof(float));
    for (int64_t n = lo; n < hi; n++) {
        const float *dy = dout + n * C, *xr = x + n * C;
        float m = mean[n], s = rstd[n];
        if (!dx) {
            if (pw)
#pragma omp simd
                for (int64_t i = 0; i < C; i++) pw[i] += dy[i] * ((xr[i] - m) * s);
            if (pb)
#pragma omp simd
                for (int64_t i = 0; i < C; i++) pb[i] += dy[i];
            continue;
        }
        /* the two row means, in the fixed lane order of ops_util.h */
        float acc_d[FGK_LANES] = {0}, acc_dx[FGK_LANES] = {0};
        int64_t i = 0;
        for (; i + FGK_LANES <= C; i += FGK_LANES) {
#pragma omp simd
            for (int j = 0; j < FGK_LANES; j++) {
                float dn = dy[i + j] * w[i + j];
                acc_d[j] += dn;
                acc_dx[j] += dn * ((xr[i + j] - m) * s);
            }
        }
        int64_t rem = C - i;
#pragma omp simd
        for (int64_t j = 0; j < rem; j++) {
            float dn = dy[i + j] * w[i + j];
            acc_d[j] += dn;
            acc_dx[j] += dn * ((xr[i + j] - m) * s);
        }
        float dmean = fgk__fold_sum(acc_d) / (float)C;
        float dxmean = fgk__fold_sum(acc_dx) / (float)C;
        float *dxr = dx + n * C;
        if (pw && pb) { /* the usual case: one fused pass */
#pragma omp simd
            for (int64_t k = 0; k < C; k++) {
                float xhat = (xr[k] - m) * s;
                dxr[k] += (dy[k] * w[k] - dmean - xhat * dxmean) * s;
                pw[k] += dy[k] * xhat;
                pb[k] += dy[k];
            }
            continue;
        }
#pragma omp simd
        for (int64_t k = 0; k < C; k++) {
            float xhat = (xr[k] - m) * s;
            dxr[k] += (dy[k] * w[k] - dmean - xhat * dxmean) * s;
        }
        if (pw)
#pragma omp simd
            for (int64_t k = 0; k < C; k++) pw[k] += dy[k] * ((xr[k] - m) * s);
        if (pb)
#pragma omp simd
            for (int64_t k = 0; k < C; k++) pb[k] += dy[k];
    }
}

size_t fgk_norm_scratch_floats(int64_t N, int64_t C) {
    return (size_t)(((N + FGK_ROW_CHUNK - 1) / FGK_ROW_CHUNK) * 2 * C);
}

void fgk_layernorm_bwd(float *dx, float *dw, float *db, const float *dout, const float *x,
                       const float *w, const float *mean, const float *rstd, int64_t N,
                       int64_t C) {
    if (!dx && !dw && !db) return;
    int64_t nchunks = (N + FGK_ROW_CHUNK - 1) / FGK_ROW_CHUNK;
    float *part = (dw || db) ? fgk__scratch((size_t)(nchunks * 2 * C)) : NULL;
#pragma omp parallel if (N * C > FGK_PAR_MIN)
    {
#pragma omp for schedule(static)
        for (int64_t k = 0; k < nchunks; k++) {
            int64_t lo = k * FGK_ROW_CHUNK;
            int64_t hi = lo + FGK_ROW_CHUNK < N ? lo + FGK_ROW_CHUNK : N;
            float *pw = dw ? part + k * 2 * C : NULL;
            float *pb = db ? part + k * 2 * C + C : NULL;
            layernorm_bwd_rows(dx, pw, pb, dout, x, w, mean, rstd, lo, hi, C);
        }
        /* implicit barrier: all partials are written */
        int64_t lo, hi;
        fgk__thread_cols(dw ? dw : db, C, &lo, &hi);
        if (dw) add_partials(dw, part, nchunks, 2 * C, lo, hi);
        if (db) add_partials(db, part + C, nchunks, 2 * C, lo, hi);
    }
}

/* ---- RMSNorm ------------------------------------------------------------------------ */

FGK_CLONES static void rmsnorm_fwd_rows(float *out, float *rstd, const float *x, const float *w,
                                        int64_t lo, int64_t hi, int64_t C, float eps) {
    for (int64_t n = lo; n < hi; n++) {
        const float *xr = x + n * C;
        float *o = out + n * C;
        float ms = fgk__dot(xr, xr, C) / (float)C;
        float s = 1.0f / sqrtf(ms + eps);
#pragma omp simd
        for (int64_t i = 0; i < C; i++) o[i] = xr[i] * s * w[i];
        if (rstd) rstd[n] = s;
    }
}

void fgk_rmsnorm_fwd(float *out, float *rstd, const float *x, const float *w, int64_t N,
                     int64_t C, float eps) {
#pragma omp parallel if (N * C > FGK_PAR_MIN)
    {
        int64_t lo, hi;
        fgk__thread_range(N, &lo, &hi);
        rmsnorm_fwd_rows(out, rstd, x, w, lo, hi, C, eps);
    }
}

/* dx += rstd (dnorm - xhat mean(dnorm xhat)), dnorm = dout * w, xhat = x rstd;
 * pw (the chunk's partial, overwritten first) += dout * xhat. */
FGK_CLONES static void rmsnorm_bwd_rows(float *dx, float *pw, const float *dout, const float *x,
                                        const float *w, const float *rstd, int64_t lo,
                                        int64_t hi, int64_t C) {
    if (pw) memset(pw, 0, (size_t)C * sizeof(float));
    for (int64_t n = lo; n < hi; n++) {
        const float *dy = dout + n * C, *xr = x + n * C;
        float s = rstd[n];
        if (dx) {
            float acc[FGK_LANES] = {0};
            int64_t i = 0;
            for (; i + FGK_LANES <= C; i += FGK_LANES) {
#pragma omp simd
                for (int j = 0; j < FGK_LANES; j++)
                    acc[j] += dy[i + j] * w[i + j] * (xr[i + j] * s);
            }
            int64_t rem = C - i;
#pragma omp simd
            for (int64_t j = 0; j < rem; j++) acc[j] += dy[i + j] * w[i + j] * (xr[i + j] * s);
            float dxmean = fgk__fold_sum(acc) / (float)C;
            float *dxr = dx + n * C;
            if (pw) { /* the usual case: one fused pass */
#pragma omp simd
                for (int64_t k = 0; k < C; k++) {
                    dxr[k] += (dy[k] * w[k] - (xr[k] * s) * dxmean) * s;
                    pw[k] += dy[k] * (xr[k] * s);
                }
                continue;
            }
#pragma omp simd
            for (int64_t k = 0; k < C; k++) dxr[k] += (dy[k] * w[k] - (xr[k] * s) * dxmean) * s;
            continue;
        }
        if (pw)
#pragma omp simd
            for (int64_t k = 0; k < C; k++) pw[k] += dy[k] * (xr[k] * s);
    }
}

void fgk_rmsnorm_bwd(float *dx, float *dw, const float *dout, const float *x, const float *w,
                     const float *rstd, int64_t N, int64_t C) {
    if (!dx && !dw) return;
    int64_t nchunks = (N + FGK_ROW_CHUNK - 1) / FGK_ROW_CHUNK;
    float *part = dw ? fgk__scratch((size_t)(nchunks * C)) : NULL;
#pragma omp parallel if (N * C > FGK_PAR_MIN)
    {
#pragma omp for schedule(static)
        for (int64_t k = 0; k < nchunks; k++) {
            int64_t lo = k * FGK_ROW_CHUNK;
            int64_t hi = lo + FGK_ROW_CHUNK < N ? lo + FGK_ROW_CHUNK : N;
            rmsnorm_bwd_rows(dx, dw ? part + k * C : NULL, dout, x, w, rstd, lo, hi, C);
        }
        int64_t lo, hi;
        fgk__thread_cols(dw, C, &lo, &hi);
        if (dw) add_partials(dw, part, nchunks, C, lo, hi);
    }
}
