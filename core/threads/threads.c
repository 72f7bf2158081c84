#include "threads/threads.h"

#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int thread_count = 1;

void fg_threads_init(int n) {
    if (n <= 0) {
        const char *env = getenv("OMP_NUM_THREADS");
        n = env ? atoi(env) : 0;
    }
    if (n <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > 0 ? (int)cores : 1;
    }
    thread_count = n;
    omp_set_num_threads(n);
    /* OpenBLAS's own pool would spin after each call and fight the OpenMP threads; the
     * linear kernels split each GEMM over the OpenMP threads instead (core/ops/linear.c). */
    openblas_set_num_threads(1);
}

int fg_threads_count(void) { return thread_count; }

const char *fg_blas_describe(char *buf, size_t cap) {
    snprintf(buf, cap, "%s; core %s; %d threads", openblas_get_config(), openblas_get_corename(),
             openblas_get_num_threads());
    return buf;
}
