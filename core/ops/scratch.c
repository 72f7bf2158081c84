/* Per-thread scratch memory for the kernels (see fgk__scratch in ops_util.h). */
#include <stdio.h>
#include <stdlib.h>

#include "ops_util.h"

/* One buffer per thread (the caller's thread, or each OpenMP worker), grown to the
 * largest request seen and kept for the life of the thread: training calls the same
 * shapes every step, so after the first step no kernel allocates. */
static _Thread_local float *scratch_buf;
static _Thread_local size_t scratch_cap;

float *fgk__scratch(size_t n) {
    if (n > scratch_cap) {
        size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63; /* aligned_alloc wants a multiple */
        free(scratch_buf);
        scratch_buf = aligned_alloc(64, bytes);
        if (!scratch_buf) {
            fprintf(stderr, "forgather: kernel scratch allocation of %zu bytes failed\n", bytes);
            abort();
        }
        scratch_cap = bytes / sizeof(float);
    }
    return scratch_buf;
}
