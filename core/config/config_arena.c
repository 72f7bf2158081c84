/* Block arena for a config: nodes, strings and arrays are carved from large blocks and
 * released together, so no error path has to unwind individual allocations. */
#include "config/config_internal.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define FGC_BLOCK_SIZE 16384

struct fgc_block {
    fgc_block *next;
    size_t used;
    size_t size;
    alignas(max_align_t) unsigned char data[];
};

void *fgc_alloc(fgc_arena *a, size_t size) {
    const size_t align = alignof(max_align_t);
    if (size > SIZE_MAX - align) return NULL;
    size = (size + align - 1) / align * align;
    if (size == 0) size = align;
    fgc_block *b = a->head;
    if (b == NULL || b->size - b->used < size) {
        /* Oversized requests get a block of their own so the current block's free tail
         * stays usable for the small allocations that follow. */
        size_t cap = size > FGC_BLOCK_SIZE / 4 ? size : FGC_BLOCK_SIZE;
        if (cap > SIZE_MAX - sizeof(fgc_block)) return NULL;
        fgc_block *nb = malloc(sizeof(fgc_block) + cap);
        if (nb == NULL) return NULL;
        nb->used = 0;
        nb->size = cap;
        if (b != NULL && cap != FGC_BLOCK_SIZE) {
            /* keep the partly used block in front */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *fgc_strndup(fgc_arena *a, const char *s, size_t len) {
    if (len == SIZE_MAX) return NULL;
    char *d = fgc_alloc(a, len + 1);
    if (d == NULL) return NULL;
    if (len > 0) memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *fgc_strdup(fgc_arena *a, const char *s) { return fgc_strndup(a, s, strlen(s)); }

void *fgc_grow(fgc_arena *a, void *arr, size_t *cap, size_t elem, size_t need) {
    if (need <= *cap) return arr;
    size_t ncap = *cap < 8 ? 8 : *cap;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) return NULL;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem) return NULL;
    void *n = fgc_alloc(a, ncap * elem);
    if (n == NULL) return NULL;
    if (arr != NULL && *cap > 0) memcpy(n, arr, *cap * elem);
    *cap = ncap;
    return n;
}

void fgc_arena_free(fgc_arena *a) {
    fgc_block *b = a->head;
    while (b != NULL) {
        fgc_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}
