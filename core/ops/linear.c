/* Fully connected layer through OpenBLAS sgemm; bias and bias gradient are simple loops.
 *
 * Threading: OpenBLAS (pthreads build) keeps its own worker threads, which spin for a
 * long while after each call and then compete with our OpenMP threads for the cores.
 * On 2 cores an OpenMP kernel right after an sgemm took 5.7 ms instead of 0.18 ms. So
 * the first call here makes OpenBLAS single-threaded for the whole process, and each
 * GEMM is split across the OpenMP threads instead: every thread runs sgemm on its own
 * block of output rows. No output element is shared between threads and no reduction
 * crosses threads, so results are deterministic for a given thread count.
 * Dimensions must fit in a (32-bit) blasint. */
#include <cblas.h>
#include <stdatomic.h>

#include "kernels.h"
#include "ops_util.h"

/* Below this many multiply-adds a GEMM runs on one thread. */
#define LINEAR_PAR_MIN (1 << 18)

/* fg_op_linear rejects dimensions above INT32_MAX before any kernel runs. */
static int blas_dim(int64_t d) { return (int)d; }

static void blas_single_threaded(void) {
#ifdef OPENBLAS_VERSION
    static atomic_int done;
    if (!atomic_load_explicit(&done, memory_order_acquire)) {
        openblas_set_num_threads(1);
        atomic_store_explicit(&done, 1, memory_order_release);
    }
#endif
}

/* This thread's rows [*lo, *hi) of n, in blocks of 16 rows (whole GEMM micro-tiles). */
static void thread_rows(int64_t n, int64_t *lo, int64_t *hi) {
    int64_t blo, bhi;
    fgk__thread_range((n + 15) / 16, &blo, &bhi);
    *lo = blo * 16 < n ? blo * 16 : n;
    *hi = bhi * 16 < n ? bhi * 16 : n;
}

void fgk_linear_fwd(float *out, const float *x, const float *w, const float *b, int64_t N,
                    int64_t IN, int64_t OUT) {
    if (N <= 0 || OUT <= 0) return;
    blas_single_threaded();
#pragma omp parallel if (N * IN * OUT > LINEAR_PAR_MIN)
    {
        int64_t lo, hi;
        thread_rows(N, &lo, &hi);
        float *o = out + lo * OUT;
        /* Pre-filling out with the bias and running sgemm with beta = 1 costs one write
         * pass; beta = 0 plus a bias pass would cost a zeroing pass and a
         * read-modify-write pass. */
        float beta = 0.0f;
        if (b) {
            for (int64_t n = lo; n < hi; n++) memcpy(out + n * OUT, b, (size_t)OUT * sizeof(float));
            beta = 1.0f;
        }
        if (hi > lo && IN > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blas_dim(hi - lo),
                        blas_dim(OUT), blas_dim(IN), 1.0f, x + lo * IN, blas_dim(IN), w,
                        blas_dim(IN), beta, o, blas_dim(OUT));
        else if (!b && hi > lo)
            memset(o, 0, (size_t)((hi - lo) * OUT) * sizeof(float));
    }
}

void fgk_linear_bwd_input(float *dx, const float *dout, const float *w, int64_t N, int64_t IN,
                          int64_t OUT) {
    if (!dx || N <= 0 || IN <= 0 || OUT <= 0) return;
    blas_single_threaded();
#pragma omp parallel if (N * IN * OUT > LINEAR_PAR_MIN)
    {
        int64_t lo, hi;
        thread_rows(N, &lo, &hi);
        if (hi > lo)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blas_dim(hi - lo),
                        blas_dim(IN), blas_dim(OUT), 1.0f, dout + lo * OUT, blas_dim(OUT), w,
                        blas_dim(IN), 1.0f, dx + lo * IN, blas_dim(IN));
    }
}

/* db[c] += sum_n dout[n, c] for columns [lo, hi), rows summed in order. Blocked over
 * columns so the inner loop is contiguous and the partial sums stay in L1. (Walking
 * whole rows into a per-thread buffer was measured: no faster, this is DRAM-bound.) */
FGK_CLONES static void colsum_acc(float *db, const float *dout, int64_t N, int64_t OUT,
                                  int64_t lo, int64_t hi) {
    enum { BLK = 256 };
    for (int64_t c0 = lo; c0 < hi; c0 += BLK) {
        int64_t nc = hi - c0 < BLK ? hi - c0 : BLK;
        float s[BLK] = {0};
        for (int64_t n = 0; n < N; n++) {
            const float *g = dout + n * OUT + c0;
#pragma omp simd
            for (int64_t c = 0; c < nc; c++) s[c] += g[c];
        }
#pragma omp simd
        for (int64_t c = 0; c < nc; c++) db[c0 + c] += s[c];
    }
}

/* Split over output features: each thread owns rows [lo, hi) of dw and entries [lo, hi)
 * of db, and reduces over all N rows of dout itself. */
void fgk_linear_bwd_weight(float *dw, float *db, const float *dout, const float *x, int64_t N,
                           int64_t IN, int64_t OUT) {
    if (N <= 0 || OUT <= 0 || (!dw && !db)) return;
    blas_single_threaded();
    int64_t work = dw ? N * IN * OUT : N * OUT;
#pragma omp parallel if (work > LINEAR_PAR_MIN)
    {
        int64_t lo, hi;
        thread_rows(OUT, &lo, &hi);
        if (db && hi > lo) colsum_acc(db, dout, N, OUT, lo, hi);
        if (dw && hi > lo && IN > 0)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blas_dim(hi - lo),
                        blas_dim(IN), blas_dim(N), 1.0f, dout + lo, blas_dim(OUT), x,
                        blas_dim(IN), 1.0f, dw + lo * IN, blas_dim(IN));
    }
}
