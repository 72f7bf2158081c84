/* One thread count for the whole process: our OpenMP loops and the BLAS library use the
 * same number, and BLAS is only called outside our parallel regions, so the two pools
 * never oversubscribe the cores. */
#ifndef FG_CORE_THREADS_H
#define FG_CORE_THREADS_H

#include <stddef.h>

/* n <= 0: the number of online cores (or OMP_NUM_THREADS when set). */
void fg_threads_init(int n);
int fg_threads_count(void);
/* "OpenBLAS 0.3.21 ... core Haswell, 2 threads" */
const char *fg_blas_describe(char *buf, size_t cap);

#endif
