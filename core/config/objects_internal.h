/* Internals shared by the object graph (objects.c) and parameter scopes (param_scope.c). */
#ifndef FG_CORE_OBJECTS_INTERNAL_H
#define FG_CORE_OBJECTS_INTERNAL_H

#include "config/objects.h"

/* The parameters of one model: every scope of that model appends here. */
typedef struct fg_param_store {
    fg_tensor **params;
    uint64_t n, cap;
} fg_param_store;

typedef struct fg_owned_object {
    void *object;
    fg_scope *root_scope; /* the root scope created for a model, else NULL */
    fg_object_info info;
} fg_owned_object;

typedef struct fg_binding {
    const fg_node *node;
    fg_partial *partial;
} fg_binding;

struct fg_objects {
    fg_registry *registry;
    fg_config *config;
    fg_config **defaults; /* parsed default values of specs */
    size_t n_defaults;
    fg_binding *bindings;
    size_t n_bindings;
    fg_owned_object *owned;
    size_t n_owned;
    struct fg_param_store **stores; /* one per model */
    size_t n_stores;
    void **allocs; /* everything else, freed at the end */
    size_t n_allocs;
};

/* Zeroed memory (and string copies) owned by the graph, freed with it. */
void *fg_objects_alloc(fg_objects *o, size_t bytes);
char *fg_objects_strdup(fg_objects *o, const char *s);
/* A model's root scope with a fresh parameter store. */
fg_status fg_scope_new_root(fg_objects *o, fg_scope **out, fg_error *err);

#endif
