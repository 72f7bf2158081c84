/* Checks every built-in layer plugin makes, in one place. Header-only: each plugin
 * compiles its own copy, calling the host through its own fg_api. */
#ifndef FG_PLUGIN_LAYER_COMMON_H
#define FG_PLUGIN_LAYER_COMMON_H

#include <forgather/plugin.h>

/* A layer needs an owner (a model or a block) that gives it a parameter scope and the
 * width of the residual stream. */
static inline fg_status layer_check_args(const char *who, const fg_create_args *args,
                                         fg_error *err) {
    if (args == NULL || args->struct_size < sizeof(fg_create_args) || args->scope == NULL ||
        args->d_model < 1) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "%s: must be created by a model or block (needs a parameter scope and "
                          "d_model >= 1, got d_model %lld)",
                          who, (long long)(args != NULL ? args->d_model : 0));
        return FG_E_INVALID_ARG;
    }
    return FG_OK;
}

/* A probability parameter in [0, 1), named in the error. */
static inline fg_status layer_check_dropout(const char *who, const char *key, double p,
                                            fg_error *err) {
    if (!(p >= 0.0 && p < 1.0)) {
        fg_api->error_set(err, FG_E_RANGE, "%s: %s %g is not in [0, 1)", who, key, p);
        return FG_E_RANGE;
    }
    return FG_OK;
}

/* Ends a forward built straight through host ops: the graph's sticky error covers the
 * whole chain, so one check here reports the first failure. */
static inline fg_status layer_output(const char *who, fg_graph *g, fg_tensor *y, fg_tensor **out,
                                     fg_error *err) {
    fg_status st = fg_api->graph_status(g, err);
    if (st != FG_OK) return st;
    if (y == NULL) {
        fg_api->error_set(err, FG_E_INTERNAL, "%s: forward produced no output", who);
        return FG_E_INTERNAL;
    }
    *out = y;
    return FG_OK;
}

#endif
