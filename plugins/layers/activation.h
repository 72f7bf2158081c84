/* The fixed activations of the feed-forward layers (mlp, glu), chosen by name. */
#ifndef FG_PLUGIN_ACTIVATION_H
#define FG_PLUGIN_ACTIVATION_H

#include <forgather/plugin.h>

#include <string.h>

typedef enum activation { ACT_GELU, ACT_RELU, ACT_SILU } activation;

/* In enum order; the `choices` of an activation parameter. */
static const char *const activation_names[] = {"gelu", "relu", "silu", NULL};

/* The activation called `name`, or -1 with the error set (naming `who`). */
static inline int32_t activation_find(const char *who, const char *name, fg_error *err) {
    for (int32_t i = 0; name != NULL && activation_names[i] != NULL; i++)
        if (strcmp(name, activation_names[i]) == 0) return i;
    fg_api->error_set(err, FG_E_INVALID_ARG,
                      "%s: unknown activation '%s' (choices: gelu, relu, silu)", who,
                      name != NULL ? name : "(null)");
    return -1;
}

/* Looked up at call time: fg_api is only set once the host has loaded the plugin.
 * gelu is the tanh approximation (GPT-2). */
static inline fg_tensor *activation_apply(int32_t which, fg_graph *g, fg_tensor *x) {
    switch (which) {
    case ACT_RELU: return fg_api->op_relu(g, x);
    case ACT_SILU: return fg_api->op_silu(g, x);
    default: return fg_api->op_gelu(g, x);
    }
}

/* The same activation in generated code: its function in the C runtime (fgc_runtime.h),
 * called as f(y, x, n) over n floats. */
static inline const char *activation_code_fn(int32_t which) {
    switch (which) {
    case ACT_RELU: return "fgc_relu";
    case ACT_SILU: return "fgc_silu";
    default: return "fgc_gelu";
    }
}

#endif
