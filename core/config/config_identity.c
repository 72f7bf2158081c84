/* The @identity check: an identity names one node, so two distinct nodes with the same
 * identity are an error (Forgather's "Multiple definitions found for node X"). Aliases
 * of one node are the same pointer and are fine. The walk is iterative and visits each
 * node once (a pointer set), because a graph of aliases can have exponentially many
 * paths and deep nesting must not overflow the C stack. */
#include "config/config_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct ptrset {
    const void **slots;
    size_t cap, count;
} ptrset;

static size_t hash_ptr(const void *p) {
    uint64_t h = (uint64_t)(uintptr_t)p;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (size_t)h;
}

/* Adds p; returns 1 when added, 0 when already present, -1 when out of memory. */
static int ptrset_add(ptrset *s, const void *p) {
    if ((s->count + 1) * 2 > s->cap) {
        size_t cap = s->cap == 0 ? 64 : s->cap * 2;
        const void **slots = calloc(cap, sizeof *slots);
        if (slots == NULL) return -1;
        for (size_t k = 0; k < s->cap; k++) {
            if (s->slots[k] == NULL) continue;
            size_t i = hash_ptr(s->slots[k]) & (cap - 1);
            while (slots[i] != NULL) i = (i + 1) & (cap - 1);
            slots[i] = s->slots[k];
        }
        free(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    size_t i = hash_ptr(p) & (s->cap - 1);
    for (; s->slots[i] != NULL; i = (i + 1) & (s->cap - 1))
        if (s->slots[i] == p) return 0;
    s->slots[i] = p;
    s->count++;
    return 1;
}

typedef struct nodevec {
    const fg_node **items;
    size_t n, cap;
} nodevec;

static bool nodevec_push(nodevec *v, const fg_node *n) {
    if (v->n == v->cap) {
        size_t cap = v->cap == 0 ? 64 : v->cap * 2;
        const fg_node **items = realloc(v->items, cap * sizeof *items);
        if (items == NULL) return false;
        v->items = items;
        v->cap = cap;
    }
    v->items[v->n++] = n;
    return true;
}

/* identity, then place in the file, so "first defined" is the earlier one */
static int by_identity(const void *a, const void *b) {
    const fg_node *x = *(const fg_node *const *)a, *y = *(const fg_node *const *)b;
    int c = strcmp(x->identity, y->identity);
    if (c != 0) return c;
    if (x->loc.line != y->loc.line) return x->loc.line < y->loc.line ? -1 : 1;
    return (x->loc.column > y->loc.column) - (x->loc.column < y->loc.column);
}

fg_status fgc_check_identities(const fg_node *root, fg_error *err) {
    ptrset seen = {NULL, 0, 0};
    nodevec stack = {NULL, 0, 0}, named = {NULL, 0, 0};
    fg_status st = FG_OK;
    if (!nodevec_push(&stack, root)) goto nomem;
    while (stack.n > 0) {
        const fg_node *n = stack.items[--stack.n];
        int added = ptrset_add(&seen, n);
        if (added < 0) goto nomem;
        if (added == 0) continue;
        if (n->identity != NULL && !nodevec_push(&named, n)) goto nomem;
        if (n->type != FG_NODE_LIST && n->type != FG_NODE_MAP) continue;
        for (size_t k = n->n; k-- > 0;)
            if (!nodevec_push(&stack, n->items[k])) goto nomem;
    }
    if (named.n > 1) qsort(named.items, named.n, sizeof *named.items, by_identity);
    for (size_t k = 1; k < named.n; k++) {
        const fg_node *a = named.items[k - 1], *b = named.items[k];
        if (strcmp(a->identity, b->identity) != 0) continue;
        st = fgc_fail(err, FG_E_PARSE, &b->loc,
                      "multiple definitions of node '%.100s': here and at %s:%d:%d; an "
                      "@identity names one node (refer to it again with an alias *anchor)",
                      b->identity, a->loc.file, a->loc.line, a->loc.column);
        break;
    }
    goto done;
nomem:
    st = fgc_nomem(err, &root->loc);
done:
    free(seen.slots);
    free(stack.items);
    free(named.items);
    return st;
}
