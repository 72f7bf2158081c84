#include "memory/arena.h"

#include "memory/alloc.h"

#include <string.h>

struct fg_arena_chunk {
    fg_arena_chunk *next;
    size_t size, used;
    unsigned char *data;
};

#define FG_ARENA_MIN_CHUNK ((size_t)1 << 20)

void fg_arena_init(fg_arena *a) { memset(a, 0, sizeof *a); }

static size_t round_up(size_t n) { return (n + FG_ALIGN - 1) & ~(size_t)(FG_ALIGN - 1); }

static fg_arena_chunk *chunk_new(size_t size) {
    fg_arena_chunk *c = fg_alloc(sizeof *c);
    if (c == NULL) return NULL;
    c->data = fg_alloc(size);
    if (c->data == NULL) {
        fg_free(c);
        return NULL;
    }
    c->size = size;
    c->used = 0;
    c->next = NULL;
    return c;
}

void *fg_arena_alloc(fg_arena *a, size_t bytes) {
    size_t need = round_up(bytes == 0 ? 1 : bytes);
    if (need < bytes) return NULL;
    fg_arena_chunk *c = a->chunks;
    if (c == NULL || c->size - c->used < need) {
        size_t size = need > FG_ARENA_MIN_CHUNK ? need : FG_ARENA_MIN_CHUNK;
        if (c != NULL && size < c->size * 2) size = c->size * 2; /* geometric growth */
        fg_arena_chunk *fresh = chunk_new(size);
        if (fresh == NULL) return NULL;
        fresh->next = c;
        a->chunks = fresh;
        c = fresh;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used_total += need;
    if (a->used_total > a->high_water) a->high_water = a->used_total;
    return p;
}

void *fg_arena_alloc_zeroed(fg_arena *a, size_t bytes) {
    void *p = fg_arena_alloc(a, bytes);
    if (p != NULL) memset(p, 0, bytes);
    return p;
}

static void free_chunks(fg_arena_chunk *c) {
    while (c != NULL) {
        fg_arena_chunk *next = c->next;
        fg_free(c->data);
        fg_free(c);
        c = next;
    }
}

void fg_arena_reset(fg_arena *a) {
    if (a->chunks != NULL && a->chunks->next != NULL) {
        /* Several chunks: replace them by one that holds the whole high-water mark. */
        free_chunks(a->chunks);
        a->chunks = chunk_new(round_up(a->high_water));
    } else if (a->chunks != NULL) {
        a->chunks->used = 0;
    }
    a->used_total = 0;
}

void fg_arena_free(fg_arena *a) {
    free_chunks(a->chunks);
    memset(a, 0, sizeof *a);
}

size_t fg_arena_capacity(const fg_arena *a) {
    size_t total = 0;
    for (const fg_arena_chunk *c = a->chunks; c != NULL; c = c->next) total += c->size;
    return total;
}
