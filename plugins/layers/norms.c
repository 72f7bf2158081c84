/* Normalisation layers over the last dimension (d_model): LayerNorm (weight ones, bias
 * zeros) and RMSNorm (weight ones). Parameters are named "weight" and "bias" directly
 * under the layer's scope, e.g. blocks.0.ln_1.weight. */
#include <forgather/plugin.h>

#include "codegen_common.h"
#include "layer_common.h"

#include <string.h>

typedef struct norm {
    const fg_layer_vtbl *vt;
    double eps;
    fg_tensor *weight, *bias; /* bias: layernorm with bias: true only */
} norm;

static fg_status layernorm_forward(void *self, fg_graph *g, fg_tensor *x, fg_tensor **out,
                                   fg_error *err) {
    const norm *n = self;
    return layer_output("layernorm", g, fg_api->op_layernorm(g, x, n->weight, n->bias, n->eps), out,
                        err);
}

static fg_status rmsnorm_forward(void *self, fg_graph *g, fg_tensor *x, fg_tensor **out,
                                 fg_error *err) {
    const norm *n = self;
    return layer_output("rmsnorm", g, fg_api->op_rmsnorm(g, x, n->weight, n->eps), out, err);
}

/* The forwards above as C: one runtime call each. */
static fg_status layernorm_emit_code(const void *self, fg_codegen *cg, fg_error *err) {
    const norm *n = self;
    const char *w = code_tensor(cg, "layernorm", n->weight, err);
    const char *b = code_tensor(cg, "layernorm", n->bias, err);
    if (w == NULL || b == NULL) return FG_E_NOT_FOUND;
    fg_api->code_printf(cg, "    fgc_layernorm(y, x, %s, %s, T, %d, %s);\n", w, b,
                        (int)fg_api->tensor_dim(n->weight, 0), code_float(n->eps).s);
    return FG_OK;
}

static fg_status rmsnorm_emit_code(const void *self, fg_codegen *cg, fg_error *err) {
    const norm *n = self;
    const char *w = code_tensor(cg, "rmsnorm", n->weight, err);
    if (w == NULL) return FG_E_NOT_FOUND;
    fg_api->code_printf(cg, "    fgc_rmsnorm(y, x, %s, T, %d, %s);\n", w,
                        (int)fg_api->tensor_dim(n->weight, 0), code_float(n->eps).s);
    return FG_OK;
}

static void norm_destroy(void *self) { fg_api->free(self); }

static const fg_layer_vtbl layernorm_vtbl = {
    .base = {sizeof(fg_layer_vtbl), FG_KIND_NORM, norm_destroy},
    .forward = layernorm_forward,
    .emit_code = layernorm_emit_code,
};

static const fg_layer_vtbl rmsnorm_vtbl = {
    .base = {sizeof(fg_layer_vtbl), FG_KIND_NORM, norm_destroy},
    .forward = rmsnorm_forward,
    .emit_code = rmsnorm_emit_code,
};

/* Shared by both factories: validate the owner's args, read eps, make "weight". */
static fg_status norm_new(const char *who, const fg_layer_vtbl *vt, const fg_params *params,
                          const fg_create_args *args, norm **out, fg_error *err) {
    fg_status st = layer_check_args(who, args, err);
    if (st != FG_OK) return st;
    norm *n = fg_api->alloc(sizeof(norm));
    if (n == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "%s: out of memory", who);
        return FG_E_NOMEM;
    }
    memset(n, 0, sizeof(*n));
    n->vt = vt;
    const int64_t shape[1] = {args->d_model};
    st = fg_api->param_float(params, "eps", &n->eps, err);
    if (st == FG_OK && !(n->eps > 0.0)) {
        fg_api->error_set(err, FG_E_RANGE, "%s: eps must be > 0, got %g", who, n->eps);
        st = FG_E_RANGE;
    }
    if (st == FG_OK)
        st = fg_api->param_new(args->scope, "weight", 1, shape, FG_INIT_ONES, 0.0, &n->weight, err);
    if (st != FG_OK) {
        norm_destroy(n);
        return st;
    }
    *out = n;
    return FG_OK;
}

static fg_status layernorm_create(const fg_params *params, const fg_create_args *args, void **out,
                                  fg_error *err) {
    norm *n = NULL;
    int32_t bias = 1;
    fg_status st = norm_new("layernorm", &layernorm_vtbl, params, args, &n, err);
    if (st != FG_OK) return st;
    st = fg_api->param_bool(params, "bias", &bias, err);
    if (st == FG_OK && bias) {
        const int64_t shape[1] = {args->d_model};
        st = fg_api->param_new(args->scope, "bias", 1, shape, FG_INIT_ZEROS, 0.0, &n->bias, err);
    }
    if (st != FG_OK) {
        norm_destroy(n);
        return st;
    }
    *out = n;
    return FG_OK;
}

static fg_status rmsnorm_create(const fg_params *params, const fg_create_args *args, void **out,
                                fg_error *err) {
    norm *n = NULL;
    fg_status st = norm_new("rmsnorm", &rmsnorm_vtbl, params, args, &n, err);
    if (st != FG_OK) return st;
    *out = n;
    return FG_OK;
}

static const fg_param_spec layernorm_spec[] = {
    FG_SPEC_FLOAT("eps", "1.0e-5", 0, 1, "added to the variance before the square root (> 0)"),
    FG_SPEC_BOOL("bias", "true", "learn an additive bias (initialised to zeros)"),
};

static const fg_param_spec rmsnorm_spec[] = {
    FG_SPEC_FLOAT("eps", "1.0e-6", 0, 1, "added to the mean square before the square root (> 0)"),
};

static const char *const layernorm_aliases[] = {"torch.nn:LayerNorm", NULL};
static const char *const rmsnorm_aliases[] = {"torch.nn:RMSNorm", NULL};

static const fg_factory_desc factories[] = {
    {sizeof(fg_factory_desc), FG_KIND_NORM, "layernorm",
     "LayerNorm over d_model: (x - mean)/sqrt(var + eps) * weight + bias.", layernorm_spec,
     (uint32_t)(sizeof(layernorm_spec) / sizeof(layernorm_spec[0])), 0, layernorm_create,
     layernorm_aliases, NULL},
    {sizeof(fg_factory_desc), FG_KIND_NORM, "rmsnorm",
     "RMSNorm over d_model: x / sqrt(mean(x^2) + eps) * weight.", rmsnorm_spec,
     (uint32_t)(sizeof(rmsnorm_spec) / sizeof(rmsnorm_spec[0])), 0, rmsnorm_create, rmsnorm_aliases,
     NULL},
};

FG_PLUGIN_DEFINE("norms", "0.1.0", "Normalisation layers: layernorm and rmsnorm", "MIT", factories)
