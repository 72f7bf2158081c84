/* A bump allocator for one step's activations. The first steps grow it chunk by chunk;
 * reset() then folds the chunks into one block of the high-water size, so a steady
 * training step allocates nothing (DESIGN.md: memory is planned). */
#ifndef FG_CORE_ARENA_H
#define FG_CORE_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct fg_arena_chunk fg_arena_chunk;

typedef struct fg_arena {
    fg_arena_chunk *chunks; /* newest first */
    size_t used_total;      /* bytes handed out since the last reset */
    size_t high_water;      /* largest used_total seen */
} fg_arena;

void fg_arena_init(fg_arena *a);
void *fg_arena_alloc(fg_arena *a, size_t bytes);        /* 64-byte aligned; NULL on OOM */
void *fg_arena_alloc_zeroed(fg_arena *a, size_t bytes);
void fg_arena_reset(fg_arena *a);
void fg_arena_free(fg_arena *a);
size_t fg_arena_capacity(const fg_arena *a);

#endif
