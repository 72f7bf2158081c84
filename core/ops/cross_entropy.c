/* Softmax cross-entropy over rows of logits [N, V] with integer targets.
 * Targets < 0 are ignored (no loss, no gradient); other targets must be < V.
 * The loss is the mean over valid rows; if no row is valid it is 0 (not NaN). */
#include <math.h>

#include "kernels.h"
#include "ops_util.h"

/* lse[n] = log(sum_v exp(logits[n, v])), computed as max + log(sum exp(x - max)) so
 * nothing overflows. Two passes over the row; a 50k-vocab row (200 KB) stays in L2. */
FGK_CLONES static void lse_rows(float *lse, const float *logits, int64_t lo, int64_t hi,
                                int64_t V) {
    for (int64_t n = lo; n < hi; n++) {
        const float *x = logits + n * V;
        float m = fgk__max(x, V);
        lse[n] = m + logf(fgk__sum_exp_shift(x, m, V));
    }
}

float fgk_cross_entropy_fwd(float *lse, const float *logits, const int32_t *targets, int64_t N,
                            int64_t V, int64_t *n_valid) {
    if (!lse) lse = fgk__scratch((size_t)(N > 0 ? N : 1));
#pragma omp parallel if (N * V > FGK_PAR_MIN / 4)
    {
        int64_t lo, hi;
        fgk__thread_range(N, &lo, &hi);
        lse_rows(lse, logits, lo, hi, V);
    }
    /* N terms, summed in row order in double: cheap, and independent of threads */
    double loss = 0.0;
    int64_t count = 0;
    for (int64_t n = 0; n < N; n++) {
        if (targets[n] < 0) continue;
        loss += (double)lse[n] - (double)logits[n * V + targets[n]];
        count++;
    }
    if (n_valid) *n_valid = count;
    return count > 0 ? (float)(loss / (double)count) : 0.0f;
}

/* dlogits[n] += g (softmax(logits[n]) - onehot(target)) for valid rows in [lo, hi). */
FGK_CLONES static void ce_bwd_rows(float *dlogits, const float *logits, const int32_t *targets,
                                   const float *lse, float g, int64_t lo, int64_t hi,
                                   int64_t V) {
    for (int64_t n = lo; n < hi; n++) {
        int32_t t = targets[n];
        if (t < 0) continue;
        const float *x = logits + n * V;
        float *d = dlogits + n * V;
        float l = lse[n];
        float d_t = d[t];
#pragma omp simd
        for (int64_t v = 0; v < V; v++) d[v] += g * fgk__expf(x[v] - l);
        /* redo the target entry as g (p - 1) in one step: adding g p and then
         * subtracting g would cancel badly when p is close to 1 */
        d[t] = d_t + g * (fgk__expf(x[t] - l) - 1.0f);
    }
}

void fgk_cross_entropy_bwd(float *dlogits, const float *logits, const int32_t *targets,
                           const float *lse, float dloss, int64_t n_valid, int64_t N, int64_t V) {
    if (!dlogits || n_valid <= 0) return;
    float g = dloss / (float)n_valid;
#pragma omp parallel if (N * V > FGK_PAR_MIN / 4)
    {
        int64_t lo, hi;
        fgk__thread_range(N, &lo, &hi);
        ce_bwd_rows(dlogits, logits, targets, lse, g, lo, hi, V);
    }
}
