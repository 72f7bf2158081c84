/* The object graph: binds tagged config nodes to plugin factories, validates every
 * parameter against the factory's spec before any plugin code runs, and constructs
 * objects on demand (singletons once, factories at each use, partials when the owner
 * calls them). The host owns every object and destroys them in reverse order. */
#ifndef FG_CORE_OBJECTS_H
#define FG_CORE_OBJECTS_H

#include "config/config.h"
#include "plugin/registry.h"

#include <forgather/plugin.h>

typedef struct fg_objects fg_objects;

struct fg_params {
    fg_objects *objects;
    const char *owner;          /* "!partial:adamw" etc., for messages */
    fg_loc loc;                 /* the mapping's location */
    const fg_param_spec *specs;
    uint32_t n_specs;
    fg_node **values;           /* per spec: the config value or the default; NULL if neither */
    fg_params **maps;           /* per spec: MAP values */
    fg_partial **partials;      /* per spec: PARTIAL and OBJECT values */
    void **lists;               /* per spec: int64_t[] / double[] for list values */
};

struct fg_partial {
    fg_objects *objects;
    const fg_factory_ref *ref;
    fg_node *node;
    fg_params *params;
};

struct fg_scope {
    fg_objects *objects;
    char *prefix;               /* "" for a model's root, else "blocks.3.attn" */
    struct fg_param_store *store;
    fg_tensor **view;           /* scope_params result buffer */
    uint64_t n_view, view_cap;
};

fg_status fg_objects_create(fg_registry *registry, fg_config *config, fg_objects **out,
                            fg_error *err);
/* Validates every tagged node reachable from the root. */
fg_status fg_objects_validate(fg_objects *objs, fg_error *err);
/* Constructs the root entry `key` (e.g. "main"), or the entry at a dotted path of nested
 * keys ("main.model"), which must make an object of `kind`. */
fg_status fg_objects_build(fg_objects *objs, const char *key, int32_t kind, void **out,
                           fg_error *err);
/* The root entry `key`, a !partial:NAME of `kind`, bound and validated but not called. */
fg_status fg_objects_partial(fg_objects *objs, const char *key, int32_t kind,
                             const fg_partial **out, fg_error *err);
/* Destroys every constructed object (reverse order) and frees the graph. */
void fg_objects_free(fg_objects *objs);

/* For the host API. */
fg_status fg_objects_construct(const fg_partial *partial, const fg_create_args *args, void **out,
                               fg_error *err);
fg_status fg_objects_param_object(const fg_params *p, const char *key, void **out, fg_error *err);
/* An object-list parameter (ABI 1.2): each item constructed as above, in list order. */
fg_status fg_objects_param_object_list(const fg_params *p, const char *key, void *const **objects,
                                       uint64_t *n, fg_error *err);
fg_scope *fg_objects_scope_of(const void *object);

/* Where a constructed object came from, for `fgrun code`. */
typedef struct fg_object_info {
    const fg_partial *partial; /* factory (partial->ref) and config node (partial->node) */
    const fg_scope *scope;     /* the scope it was created in: a model's root ("") or the
                                * child scope its owner made ("blocks.0.attn"); NULL if none */
    int32_t layer_index;       /* fg_create_args.layer_index: -1 when none */
    int64_t d_model;           /* fg_create_args.d_model: 0 when none */
} fg_object_info;
/* NULL when the graph did not construct `object`. */
const fg_object_info *fg_objects_info(const fg_objects *o, const void *object);
/* The dotted path by which the config first reaches `node`, breadth-first from the root
 * through the parameters of each bound node (defaults included) and plain containers:
 * "model.block.attention", "model.final_norm", "main.callbacks.0". "" when unreachable. */
void fg_objects_node_path(const fg_objects *o, const fg_node *node, char *out, size_t cap);
fg_status fg_scope_new_child(fg_scope *parent, const char *name, fg_scope **out, fg_error *err);
fg_status fg_scope_param_new(fg_scope *scope, const char *name, int32_t ndim, const int64_t *shape,
                             int32_t init, double init_arg, fg_tensor **out, fg_error *err);
fg_status fg_scope_params(fg_scope *scope, uint64_t *n, fg_tensor *const **params, fg_error *err);
/* "!partial", "!singleton", "!factory", "!meta"; "" for a plain value. */
const char *fg_ctor_tag_name(fg_ctor c);
/* The spec index of key in p, or -1. */
int fg_params_index(const fg_params *p, const char *key);

#endif
