/* Fully connected layer through OpenBLAS sgemm; bias and bias gradient are simple loops.
 * sgemm is deterministic for a fixed OpenBLAS thread count; the bias loops are
 * deterministic for any thread count. Dimensions must fit in a (32-bit) blasint. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels.h"
#include "ops_util.h"

static int blas_dim(int64_t d) {
    if (d < 0 || d > 0x7fffffff) {
        fprintf(stderr, "forgather: matrix dimension %lld too large for BLAS\n", (long long)d);
        abort();
    }
    return (int)d;
}

void fgk_linear_fwd(float *out, const float *x, const float *w, const float *b, int64_t N,
                    int64_t IN, int64_t OUT) {
    if (N <= 0 || OUT <= 0) return;
    /* Pre-filling out with the bias and running sgemm with beta = 1 costs one write
     * pass; beta = 0 plus a bias pass afterwards would cost a zeroing pass and a
     * read-modify-write pass. */
    float beta = 0.0f;
    if (b) {
#pragma omp parallel for schedule(static) if (N * OUT > FGK_PAR_MIN)
        for (int64_t n = 0; n < N; n++) memcpy(out + n * OUT, b, (size_t)OUT * sizeof(float));
        beta = 1.0f;
    }
    if (IN <= 0) {
        if (!b) memset(out, 0, (size_t)(N * OUT) * sizeof(float));
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blas_dim(N), blas_dim(OUT),
                blas_dim(IN), 1.0f, x, blas_dim(IN), w, blas_dim(IN), beta, out, blas_dim(OUT));
}

void fgk_linear_bwd_input(float *dx, const float *dout, const float *w, int64_t N, int64_t IN,
                          int64_t OUT) {
    if (!dx || N <= 0 || IN <= 0 || OUT <= 0) return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blas_dim(N), blas_dim(IN),
                blas_dim(OUT), 1.0f, dout, blas_dim(OUT), w, blas_dim(IN), 1.0f, dx,
                blas_dim(IN));
}

/* db[c] += sum_n dout[n, c] for columns [lo, hi), rows summed in order. Blocked over
 * columns so the inner loop is contiguous and the partial sums stay in registers/L1. */
FGK_CLONES static void colsum_acc(float *db, const float *dout, int64_t N, int64_t OUT,
                                  int64_t lo, int64_t hi) {
    enum { BLK = 256 };
    for (int64_t c0 = lo; c0 < hi; c0 += BLK) {
        int64_t nc = hi - c0 < BLK ? hi - c0 : BLK;
        float s[BLK] = {0};
        for (int64_t n = 0; n < N; n++) {
            const float *g = dout + n * OUT + c0;
            for (int64_t c = 0; c < nc; c++) s[c] += g[c];
        }
        for (int64_t c = 0; c < nc; c++) db[c0 + c] += s[c];
    }
}

void fgk_linear_bwd_weight(float *dw, float *db, const float *dout, const float *x, int64_t N,
                           int64_t IN, int64_t OUT) {
    if (N <= 0 || OUT <= 0) return;
    if (db) {
        /* parallel over output columns: no cross-thread reduction needed */
#pragma omp parallel if (N * OUT > FGK_PAR_MIN)
        {
            int64_t lo, hi;
            fgk__thread_range_aligned(OUT, 16, &lo, &hi);
            colsum_acc(db, dout, N, OUT, lo, hi);
        }
    }
    if (dw && IN > 0)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blas_dim(OUT), blas_dim(IN),
                    blas_dim(N), 1.0f, dout, blas_dim(OUT), x, blas_dim(IN), 1.0f, dw,
                    blas_dim(IN));
}
