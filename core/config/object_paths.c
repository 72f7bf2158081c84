/* Config paths of nodes ("model.block.attention"), for naming where an object came from.
 * The walk goes through what the object graph sees: the parameters of bound nodes, in
 * spec order and with their defaults, so a defaulted final_norm is "model.final_norm"
 * although no config text holds it; plain mappings and lists by key and index. */
#include "config/objects_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct step {
    const fg_node *node;
    size_t parent; /* index of the step it was reached from; SIZE_MAX for a root entry */
    const char *key; /* the key, or NULL for a list index */
    size_t index;
} step;

typedef struct walk {
    step *steps;
    size_t n, cap;
    int nomem;
} walk;

static const fg_partial *binding_of(const fg_objects *o, const fg_node *n) {
    for (size_t i = 0; i < o->n_bindings; i++)
        if (o->bindings[i].node == n) return o->bindings[i].partial;
    return NULL;
}

/* Queues `n` unless already seen: the first path to a node is its shortest. */
static void visit(walk *w, const fg_node *n, size_t parent, const char *key, size_t index) {
    if (n == NULL || w->nomem) return;
    for (size_t i = 0; i < w->n; i++)
        if (w->steps[i].node == n) return;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        step *grown = realloc(w->steps, cap * sizeof *grown);
        if (grown == NULL) {
            w->nomem = 1;
            return;
        }
        w->steps = grown;
        w->cap = cap;
    }
    w->steps[w->n++] = (step){n, parent, key, index};
}

static void children(const fg_objects *o, walk *w, size_t at) {
    const fg_node *n = w->steps[at].node;
    const fg_partial *b = n->ctor != FG_CTOR_NONE ? binding_of(o, n) : NULL;
    if (b != NULL) {
        for (uint32_t i = 0; i < b->params->n_specs; i++)
            visit(w, b->params->values[i], at, b->params->specs[i].name, 0);
        return;
    }
    if (n->type != FG_NODE_MAP && n->type != FG_NODE_LIST) return;
    for (size_t i = 0; i < n->n; i++)
        visit(w, n->items[i], at, n->type == FG_NODE_MAP ? n->keys[i] : NULL, i);
}

/* Writes the path of step `at` into out, root entry first. */
static void write_path(const walk *w, size_t at, char *out, size_t cap) {
    if (w->steps[at].parent != SIZE_MAX) write_path(w, w->steps[at].parent, out, cap);
    size_t len = strlen(out);
    const step *s = &w->steps[at];
    if (s->key != NULL)
        snprintf(out + len, cap - len, "%s%s", len ? "." : "", s->key);
    else
        snprintf(out + len, cap - len, "%s%zu", len ? "." : "", s->index);
}

void fg_objects_node_path(const fg_objects *o, const fg_node *node, char *out, size_t cap) {
    if (cap == 0) return;
    out[0] = '\0';
    const fg_node *root = fg_config_root(o->config);
    if (root == NULL || root->type != FG_NODE_MAP) return;
    walk w = {0};
    for (size_t i = 0; i < root->n; i++) visit(&w, root->items[i], SIZE_MAX, root->keys[i], 0);
    for (size_t at = 0; at < w.n && !w.nomem; at++) {
        if (w.steps[at].node == node) {
            write_path(&w, at, out, cap);
            break;
        }
        children(o, &w, at);
    }
    free(w.steps);
}
