/* Building a mapping: parallel key/location/value arrays in the arena plus an
 * open-addressing hash from key to position, so that a mapping of n keys (and merges
 * into it) costs O(n) rather than O(n^2) string compares. */
#include "config/config_internal.h"

#include <stdlib.h>
#include <string.h>

static size_t hash_key(const char *s) {
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return (size_t)h;
}

long fgc_pairs_find(const fgc_pairs *p, const char *key) {
    if (p->n_slots == 0) return -1;
    size_t mask = p->n_slots - 1;
    for (size_t i = hash_key(key) & mask;; i = (i + 1) & mask) {
        size_t slot = p->slots[i];
        if (slot == 0) return -1;
        if (strcmp(p->keys[slot - 1], key) == 0) return (long)(slot - 1);
    }
}

static void insert_slot(size_t *slots, size_t n_slots, const char *key, size_t pos) {
    size_t mask = n_slots - 1;
    size_t i = hash_key(key) & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = pos + 1;
}

/* Keeps the load factor at most 1/2, so probes stay short and a free slot exists. */
static bool reserve_slots(fgc_pairs *p, size_t count) {
    if (count * 2 <= p->n_slots) return true;
    size_t n = p->n_slots == 0 ? 16 : p->n_slots;
    while (count * 2 > n) {
        if (n > SIZE_MAX / 2 / sizeof(size_t)) return false;
        n *= 2;
    }
    size_t *slots = calloc(n, sizeof(size_t));
    if (slots == NULL) return false;
    for (size_t k = 0; k < p->n; k++) insert_slot(slots, n, p->keys[k], k);
    free(p->slots);
    p->slots = slots;
    p->n_slots = n;
    return true;
}

static bool reserve_pairs(fgc_arena *a, fgc_pairs *p, size_t count) {
    if (count <= p->cap) return true;
    size_t cap = p->cap < 8 ? 8 : p->cap;
    while (cap < count) {
        if (cap > SIZE_MAX / 2 / sizeof(fg_loc)) return false;
        cap *= 2;
    }
    const char **keys = fgc_alloc(a, cap * sizeof *keys);
    fg_loc *locs = fgc_alloc(a, cap * sizeof *locs);
    fg_node **items = fgc_alloc(a, cap * sizeof *items);
    if (keys == NULL || locs == NULL || items == NULL) return false;
    if (p->n > 0) {
        memcpy(keys, p->keys, p->n * sizeof *keys);
        memcpy(locs, p->locs, p->n * sizeof *locs);
        memcpy(items, p->items, p->n * sizeof *items);
    }
    p->keys = keys;
    p->locs = locs;
    p->items = items;
    p->cap = cap;
    return true;
}

bool fgc_pairs_push(fgc_arena *a, fgc_pairs *p, const char *key, fg_loc loc, fg_node *item) {
    if (!reserve_pairs(a, p, p->n + 1) || !reserve_slots(p, p->n + 1)) return false;
    p->keys[p->n] = key;
    p->locs[p->n] = loc;
    p->items[p->n] = item;
    insert_slot(p->slots, p->n_slots, key, p->n);
    p->n++;
    return true;
}

void fgc_pairs_free(fgc_pairs *p) {
    free(p->slots);
    p->slots = NULL;
    p->n_slots = 0;
}
