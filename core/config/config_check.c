/* Checks over the finished node graph (after parsing and after each --set):
 *  - an @identity names one node, so two distinct nodes with the same identity are an
 *    error (Forgather's "Multiple definitions found for node X"); aliases of one node
 *    are the same pointer and are fine;
 *  - the nesting, counted through aliases, stays within FG_CONFIG_MAX_DEPTH, so code that
 *    walks the graph recursively cannot overflow the stack. The composer bounds what is
 *    written, but a few aliases to deep nodes placed deep can multiply it.
 * The walk is iterative (explicit stack) and memoises each node's height in a pointer
 * map (height 0: children still being walked), so shared nodes are visited once: alias
 * graphs can have exponentially many paths. */
#include "config/config_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct frame {
    const fg_node *node;
    size_t next; /* next child to visit */
    int height;  /* of the children seen so far */
} frame;

typedef struct vec {
    void *items;
    size_t n, cap;
} vec;

static bool vec_reserve(vec *v, size_t elem) {
    if (v->n < v->cap) return true;
    size_t cap = v->cap == 0 ? 64 : v->cap * 2;
    void *items = realloc(v->items, cap * elem);
    if (items == NULL) return false;
    v->items = items;
    v->cap = cap;
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

static bool push_frame(vec *stack, fgc_ptrmap *heights, const fg_node *n) {
    if (!vec_reserve(stack, sizeof(frame)) || !fgc_ptrmap_put(heights, n, 0)) return false;
    ((frame *)stack->items)[stack->n++] = (frame){n, 0, 0};
    return true;
}

fg_status fgc_check_graph(const fg_node *root, fg_error *err) {
    fgc_ptrmap heights = {NULL, NULL, 0, 0};
    vec stack = {NULL, 0, 0}, named = {NULL, 0, 0};
    fg_status st = FG_OK;
    if (!push_frame(&stack, &heights, root)) goto nomem;
    while (stack.n > 0) {
        frame *f = &((frame *)stack.items)[stack.n - 1];
        const fg_node *n = f->node;
        if ((n->type == FG_NODE_LIST || n->type == FG_NODE_MAP) && f->next < n->n) {
            const fg_node *child = n->items[f->next++];
            size_t h;
            if (!fgc_ptrmap_get(&heights, child, &h)) {
                if (!push_frame(&stack, &heights, child)) goto nomem;
            } else if (h == 0) { /* on the stack: only a bug elsewhere could make a cycle */
                st = fgc_fail(err, FG_E_PARSE, &child->loc, "the configuration contains a cycle");
                goto done;
            } else if ((int)h > f->height) {
                f->height = (int)h;
            }
            continue;
        }
        /* all children done */
        int height = f->height + 1;
        if (height > FG_CONFIG_MAX_DEPTH + 1) {
            st = fgc_fail(err, FG_E_PARSE, &n->loc,
                          "the configuration nests deeper than %d levels below this node "
                          "(counting through aliases); expected a flatter structure",
                          FG_CONFIG_MAX_DEPTH);
            goto done;
        }
        if (!fgc_ptrmap_put(&heights, n, (size_t)height)) goto nomem;
        if (n->identity != NULL) {
            if (!vec_reserve(&named, sizeof(const fg_node *))) goto nomem;
            ((const fg_node **)named.items)[named.n++] = n;
        }
        stack.n--;
        if (stack.n > 0) {
            frame *parent = &((frame *)stack.items)[stack.n - 1];
            if (height > parent->height) parent->height = height;
        }
    }

    const fg_node **ids = named.items;
    if (named.n > 1) qsort(ids, named.n, sizeof *ids, by_identity);
    for (size_t k = 1; k < named.n; k++) {
        const fg_node *a = ids[k - 1], *b = ids[k];
        if (strcmp(a->identity, b->identity) != 0) continue;
        st = fgc_fail(err, FG_E_PARSE, &b->loc,
                      "Multiple definitions found for node '%.100s': here and at %s:%d:%d; an "
                      "@identity names one node (to use it again, anchor it with &NAME and "
                      "write the alias *NAME)",
                      b->identity, a->loc.file, a->loc.line, a->loc.column);
        break;
    }
    goto done;
nomem:
    st = fgc_nomem(err, &root->loc);
done:
    fgc_ptrmap_free(&heights);
    free(stack.items);
    free(named.items);
    return st;
}
