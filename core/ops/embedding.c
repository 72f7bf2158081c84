/* Token embedding lookup and its gradient. */
#include "kernels.h"
#include "ops_util.h"

void fgk_embedding_fwd(float *out, const int32_t *ids, const float *table, int64_t N,
                       int64_t C) {
#pragma omp parallel for schedule(static) if (N * C > FGK_PAR_MIN)
    for (int64_t n = 0; n < N; n++)
        memcpy(out + n * C, table + (int64_t)ids[n] * C, (size_t)C * sizeof(float));
}

/* Columns [lo, hi) of dtable[ids[n]] += dout[n] for every row n, in row order. */
FGK_CLONES static void embedding_bwd_cols(float *dtable, const float *dout, const int32_t *ids,
                                          int64_t N, int64_t C, int64_t lo, int64_t hi) {
    for (int64_t n = 0; n < N; n++) {
        float *d = dtable + (int64_t)ids[n] * C;
        const float *g = dout + n * C;
#pragma omp simd
        for (int64_t c = lo; c < hi; c++) d[c] += g[c];
    }
}

/* Several rows may hit the same table row, so rows cannot be split across threads
 * without atomics. Instead each thread owns a column range and walks all rows in order:
 * no races, and the sum order is the row order whatever the thread count. */
void fgk_embedding_bwd(float *dtable, const float *dout, const int32_t *ids, int64_t N,
                       int64_t C) {
    if (!dtable) return;
#pragma omp parallel if (N * C > FGK_PAR_MIN)
    {
        int64_t lo, hi;
        fgk__thread_cols(dtable, C, &lo, &hi);
        embedding_bwd_cols(dtable, dout, ids, N, C, lo, hi);
    }
}
