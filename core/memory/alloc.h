/* Aligned host allocations with accounting (current and peak bytes). */
#ifndef FG_CORE_ALLOC_H
#define FG_CORE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#define FG_ALIGN 64

void *fg_alloc(size_t bytes);        /* 64-byte aligned, uninitialised; NULL on failure */
void *fg_alloc_zeroed(size_t bytes);
void fg_free(void *ptr);
uint64_t fg_alloc_bytes_in_use(void);
uint64_t fg_alloc_bytes_peak(void);   /* since the start, or since fg_alloc_reset_peak */
/* Starts a new peak from the bytes in use now, so each run of a sweep is measured alone. */
void fg_alloc_reset_peak(void);
uint64_t fg_alloc_count(void);       /* number of successful fg_alloc calls so far */

#endif
