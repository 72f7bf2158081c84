/* Per-thread scratch memory for the kernels (see fgk__scratch in ops_util.h). */
#include <stdio.h>
#include <stdlib.h>

#include "ops_util.h"

/* One buffer per thread (the caller's thread, or each OpenMP worker), grown to the
 * largest request seen and kept for the life of the thread: training calls the same
 * shapes every step, so after the first step no kernel allocates. */
static _Thread_local float *scratch_buf;
static _Thread_local size_t scratch_cap;

static int grow(size_t n) {
    if (n <= scratch_cap) return 0;
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63; /* aligned_alloc wants a multiple */
    float *buf = aligned_alloc(64, bytes);
    if (buf == NULL) return -1;
    free(scratch_buf);
    scratch_buf = buf;
    scratch_cap = bytes / sizeof(float);
    return 0;
}

int fgk_scratch_reserve(size_t floats) {
    int failed = grow(floats) != 0;
#pragma omp parallel reduction(| : failed)
    failed |= grow(floats) != 0;
    return failed ? -1 : 0;
}

float *fgk__scratch(size_t n) {
    /* The op layer reserves what an op needs first (fgk_scratch_reserve), so a failure
     * here is a kernel asking for more than it declared: a bug, not an input. */
    if (grow(n) != 0) {
        fprintf(stderr, "forgather: kernel scratch of %zu floats was not reserved\n", n);
        abort();
    }
    return scratch_buf;
}
