#define _POSIX_C_SOURCE 200809L
#include "memory/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Each block carries its size in a header one alignment unit wide, so fg_free can
 * account without a lookup table. */
static _Atomic uint64_t in_use, peak, count;

void *fg_alloc(size_t bytes) {
    if (bytes > SIZE_MAX - FG_ALIGN) return NULL;
    void *base = NULL;
    if (posix_memalign(&base, FG_ALIGN, bytes + FG_ALIGN) != 0) return NULL;
    *(size_t *)base = bytes;
    uint64_t now = atomic_fetch_add(&in_use, bytes) + bytes;
    uint64_t old = atomic_load(&peak);
    while (now > old && !atomic_compare_exchange_weak(&peak, &old, now)) {
    }
    atomic_fetch_add(&count, 1);
    return (char *)base + FG_ALIGN;
}

void *fg_alloc_zeroed(size_t bytes) {
    void *p = fg_alloc(bytes);
    if (p != NULL) memset(p, 0, bytes);
    return p;
}

void fg_free(void *ptr) {
    if (ptr == NULL) return;
    char *base = (char *)ptr - FG_ALIGN;
    atomic_fetch_sub(&in_use, *(size_t *)base);
    free(base);
}

uint64_t fg_alloc_bytes_in_use(void) { return atomic_load(&in_use); }
uint64_t fg_alloc_bytes_peak(void) { return atomic_load(&peak); }
void fg_alloc_reset_peak(void) { atomic_store(&peak, atomic_load(&in_use)); }
uint64_t fg_alloc_count(void) { return atomic_load(&count); }
