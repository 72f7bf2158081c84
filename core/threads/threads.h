/* One thread pool for the whole process: OpenMP. BLAS runs single-threaded inside it
 * (each GEMM is split over the OpenMP threads), so two pools never fight for the cores. */
#ifndef FG_CORE_THREADS_H
#define FG_CORE_THREADS_H

#include <stddef.h>

/* n <= 0: the number of online cores (or OMP_NUM_THREADS when set). */
void fg_threads_init(int n);
int fg_threads_count(void);
/* "OpenBLAS 0.3.21 ...; core Haswell; 1 threads" (BLAS threads per OpenMP thread) */
const char *fg_blas_describe(char *buf, size_t cap);

#endif
