/* A hash map from pointers to numbers (open addressing, linear probing, power-of-two
 * capacity kept at most half full). The graph walks use it to meet each shared node once:
 * alias graphs can have exponentially many paths to a node. */
#include "config/config_internal.h"

#include <stdlib.h>

static size_t hash_ptr(const void *p) {
    uint64_t h = (uint64_t)(uintptr_t)p;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (size_t)h;
}

static size_t slot_of(const fgc_ptrmap *m, const void *p) {
    size_t i = hash_ptr(p) & (m->cap - 1);
    while (m->keys[i] != NULL && m->keys[i] != p) i = (i + 1) & (m->cap - 1);
    return i;
}

bool fgc_ptrmap_get(const fgc_ptrmap *m, const void *key, size_t *value) {
    if (m->cap == 0) return false;
    size_t i = slot_of(m, key);
    if (m->keys[i] != key) return false;
    if (value != NULL) *value = m->values[i];
    return true;
}

bool fgc_ptrmap_put(fgc_ptrmap *m, const void *key, size_t value) {
    if ((m->count + 1) * 2 > m->cap) {
        size_t cap = m->cap == 0 ? 64 : m->cap * 2;
        fgc_ptrmap bigger = {calloc(cap, sizeof(void *)), calloc(cap, sizeof(size_t)), cap, 0};
        if (bigger.keys == NULL || bigger.values == NULL) {
            free(bigger.keys);
            free(bigger.values);
            return false;
        }
        for (size_t k = 0; k < m->cap; k++) {
            if (m->keys[k] == NULL) continue;
            size_t i = slot_of(&bigger, m->keys[k]);
            bigger.keys[i] = m->keys[k];
            bigger.values[i] = m->values[k];
            bigger.count++;
        }
        fgc_ptrmap_free(m);
        *m = bigger;
    }
    size_t i = slot_of(m, key);
    if (m->keys[i] == NULL) m->count++;
    m->keys[i] = key;
    m->values[i] = value;
    return true;
}

void fgc_ptrmap_free(fgc_ptrmap *m) {
    free(m->keys);
    free(m->values);
    m->keys = NULL;
    m->values = NULL;
    m->cap = m->count = 0;
}
