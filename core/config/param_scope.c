/* Parameter scopes: dotted name prefixes under which plugins create parameters. Every
 * parameter of a model goes into that model's store, initialised from (seed, name). */
#include "config/objects_internal.h"

#include "host/host_api.h"
#include "memory/alloc.h"
#include "tensor/tensor.h"
#include "util/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static fg_status scope_alloc(fg_objects *o, fg_param_store *store, const char *prefix,
                             fg_scope **out, fg_error *err) {
    fg_scope *s = fg_objects_alloc(o, sizeof *s);
    if (s == NULL || (s->prefix = fg_objects_strdup(o, prefix)) == NULL)
        return fg_error_set(err, FG_E_NOMEM, "out of memory");
    s->objects = o;
    s->store = store;
    *out = s;
    return FG_OK;
}

fg_status fg_scope_new_root(fg_objects *o, fg_scope **out, fg_error *err) {
    fg_param_store *store = fg_objects_alloc(o, sizeof *store);
    fg_param_store **grown = realloc(o->stores, (o->n_stores + 1) * sizeof *grown);
    if (grown) o->stores = grown;
    if (store == NULL || grown == NULL) return fg_error_set(err, FG_E_NOMEM, "out of memory");
    o->stores[o->n_stores++] = store;
    return scope_alloc(o, store, "", out, err);
}

fg_status fg_scope_new_child(fg_scope *parent, const char *name, fg_scope **out, fg_error *err) {
    if (parent == NULL) return fg_error_set(err, FG_E_INVALID_ARG, "scope_child: no parent scope");
    if (name == NULL || name[0] == '\0') return fg_error_set(err, FG_E_INVALID_ARG, "scope_child: empty name");
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s%s%s", parent->prefix, parent->prefix[0] ? "." : "", name);
    return scope_alloc(parent->objects, parent->store, prefix, out, err);
}

static double next_uniform(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) * (1.0 / 9007199254740992.0); /* (0, 1) */
}

static uint64_t hash_name(const char *s, uint64_t seed) {
    uint64_t h = 1469598103934665603ull ^ seed;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

fg_status fg_scope_param_new(fg_scope *scope, const char *name, int32_t ndim, const int64_t *shape,
                             int32_t init, double init_arg, fg_tensor **out, fg_error *err) {
    if (scope == NULL) return fg_error_set(err, FG_E_INVALID_ARG, "param_new: no scope (is this a layer of a model?)");
    char full[512];
    snprintf(full, sizeof full, "%s%s%s", scope->prefix, scope->prefix[0] ? "." : "", name);
    fg_param_store *store = scope->store;
    for (uint64_t i = 0; i < store->n; i++)
        if (strcmp(store->params[i]->name, full) == 0)
            return fg_error_set(err, FG_E_INVALID_ARG, "param_new: parameter '%s' already exists", full);
    fg_objects *o = scope->objects;
    fg_tensor *t = fg_objects_alloc(o, sizeof *t);
    if (t == NULL) return fg_error_set(err, FG_E_NOMEM, "out of memory");
    if (fg_tensor_set_shape(t, ndim, shape) != 0 || t->numel == 0)
        return fg_error_set(err, FG_E_INVALID_ARG, "param_new: '%s' has a bad shape", full);
    t->dtype = FG_DTYPE_F32;
    t->flags = FG_T_PARAM | FG_T_NEEDS_GRAD;
    t->name = fg_objects_strdup(o, full);
    float *data = fg_alloc((size_t)t->numel * sizeof(float));
    float *grad = fg_alloc_zeroed((size_t)t->numel * sizeof(float));
    if (!data || !grad || !t->name) {
        fg_free(data);
        fg_free(grad);
        return fg_error_set(err, FG_E_NOMEM, "param_new: out of memory for '%s'", full);
    }
    t->data = data;
    t->grad = grad;
    /* Seeded by (run seed, name): the same model initialises the same way whatever order
     * its plugins create parameters in. */
    uint64_t rng = hash_name(full, fg_host_seed());
    for (int64_t i = 0; i < t->numel; i++) {
        switch (init) {
        case FG_INIT_ZEROS: data[i] = 0.0f; break;
        case FG_INIT_ONES: data[i] = 1.0f; break;
        case FG_INIT_UNIFORM: data[i] = (float)((2.0 * next_uniform(&rng) - 1.0) * init_arg); break;
        case FG_INIT_NORMAL: {
            double u1 = next_uniform(&rng), u2 = next_uniform(&rng);
            data[i] = (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2) * init_arg);
            break;
        }
        default:
            fg_free(data);
            fg_free(grad);
            return fg_error_set(err, FG_E_INVALID_ARG, "param_new: unknown initializer %d for '%s'", init, full);
        }
    }
    if (store->n == store->cap) {
        uint64_t cap = store->cap ? store->cap * 2 : 64;
        fg_tensor **ps = realloc(store->params, cap * sizeof *ps);
        if (ps == NULL) {
            fg_free(data);
            fg_free(grad);
            return fg_error_set(err, FG_E_NOMEM, "out of memory");
        }
        store->params = ps;
        store->cap = cap;
    }
    store->params[store->n++] = t; /* the store frees data and grad */
    *out = t;
    return FG_OK;
}

fg_status fg_scope_params(fg_scope *scope, uint64_t *n, fg_tensor *const **params, fg_error *err) {
    if (scope == NULL) return fg_error_set(err, FG_E_INVALID_ARG, "scope_params: no scope");
    fg_param_store *store = scope->store;
    size_t plen = strlen(scope->prefix);
    if (scope->view == NULL || scope->view_cap < store->n) {
        scope->view = fg_objects_alloc(scope->objects, (store->n + 1) * sizeof *scope->view);
        if (scope->view == NULL) return fg_error_set(err, FG_E_NOMEM, "out of memory");
        scope->view_cap = store->n;
    }
    uint64_t k = 0;
    for (uint64_t i = 0; i < store->n; i++) {
        const char *nm = store->params[i]->name;
        if (plen == 0 || (strncmp(nm, scope->prefix, plen) == 0 && nm[plen] == '.'))
            scope->view[k++] = store->params[i];
    }
    scope->n_view = k;
    *n = k;
    *params = scope->view;
    return FG_OK;
}

