#include "autodiff/param_ops.h"

#include <math.h>
#include <omp.h>
#include <string.h>

void fg_params_zero_grad(uint64_t n, fg_tensor *const *params) {
    for (uint64_t i = 0; i < n; i++)
        if (params[i]->grad) memset(params[i]->grad, 0, (size_t)params[i]->numel * sizeof(float));
}

/* Per-thread partial sums added in thread order: an OpenMP reduction clause may combine
 * them in any order, which would change the last bits from run to run. */
static double sum_squares(const float *g, int64_t m) {
    enum { MAX_THREADS = 256 };
    double partial[MAX_THREADS] = {0};
    int used = 1;
#pragma omp parallel if (m > 65536)
    {
        int nt = omp_get_num_threads(), t = omp_get_thread_num();
        if (nt > MAX_THREADS) nt = MAX_THREADS;
        if (t < nt) {
            int64_t lo = m * t / nt, hi = m * (t + 1) / nt;
            double s = 0.0;
            for (int64_t k = lo; k < hi; k++) s += (double)g[k] * g[k];
            partial[t] = s;
        }
        if (t == 0) used = nt;
    }
    double total = 0.0;
    for (int t = 0; t < used; t++) total += partial[t];
    return total;
}

double fg_params_clip_grad_norm(uint64_t n, fg_tensor *const *params, double max_norm) {
    /* Sum of squares per tensor in double, tensors in order: deterministic. */
    double total = 0.0;
    for (uint64_t i = 0; i < n; i++) {
        const float *g = params[i]->grad;
        if (g == NULL) continue;
        total += sum_squares(g, params[i]->numel);
    }
    double norm = sqrt(total);
    if (max_norm > 0.0 && norm > max_norm) {
        float scale = (float)(max_norm / (norm + 1e-6));
        for (uint64_t i = 0; i < n; i++) {
            float *g = params[i]->grad;
            if (g == NULL) continue;
            int64_t m = params[i]->numel;
#pragma omp parallel for schedule(static) if (m > 65536)
            for (int64_t k = 0; k < m; k++) g[k] *= scale;
        }
    }
    return norm;
}
