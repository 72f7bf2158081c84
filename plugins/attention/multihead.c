/* Causal multi-head self-attention, GPT-2 style: one fused qkv projection, the host's
 * attention op over num_heads heads, an output projection, then residual dropout.
 * Parameters (under the layer's scope): qkv.weight [3C, C], qkv.bias [3C],
 * proj.weight [C, C], proj.bias [C]. */
#include <forgather/plugin.h>

#include <math.h>
#include <string.h>

typedef struct multihead {
    const fg_layer_vtbl *vt;
    int32_t num_heads;
    double dropout;
    fg_tensor *w_qkv, *b_qkv, *w_proj, *b_proj; /* biases NULL when bias: false */
} multihead;

static fg_status multihead_forward(void *self, fg_graph *g, fg_tensor *x, fg_tensor **out,
                                   fg_error *err) {
    const multihead *a = self;
    fg_tensor *qkv = fg_api->op_linear(g, x, a->w_qkv, a->b_qkv);
    fg_tensor *h = fg_api->op_attention_qkv(g, qkv, a->num_heads, FG_ATTN_CAUSAL);
    fg_tensor *y = fg_api->op_linear(g, h, a->w_proj, a->b_proj);
    if (a->dropout > 0.0) y = fg_api->op_dropout(g, y, a->dropout);
    /* Ops are sticky on error: one check covers the whole chain. */
    fg_status st = fg_api->graph_status(g, err);
    if (st != FG_OK) return st;
    if (y == NULL) {
        fg_api->error_set(err, FG_E_INTERNAL, "multihead: forward produced no output");
        return FG_E_INTERNAL;
    }
    *out = y;
    return FG_OK;
}

static void multihead_destroy(void *self) { fg_api->free(self); }

static const fg_layer_vtbl multihead_vtbl = {
    .base = {sizeof(fg_layer_vtbl), FG_KIND_ATTENTION, multihead_destroy},
    .forward = multihead_forward,
};

static fg_status read_config(multihead *a, const fg_params *params, const fg_create_args *args,
                             int32_t *bias, double *init_std, fg_error *err) {
    int64_t heads = 0;
    fg_status st;
    if ((st = fg_api->param_int(params, "num_heads", &heads, err)) != FG_OK ||
        (st = fg_api->param_bool(params, "bias", bias, err)) != FG_OK ||
        (st = fg_api->param_float(params, "dropout", &a->dropout, err)) != FG_OK ||
        (st = fg_api->param_float(params, "init_std", init_std, err)) != FG_OK)
        return st;
    if (heads < 1 || heads > INT32_MAX) {
        fg_api->error_set(err, FG_E_RANGE, "multihead: num_heads must be >= 1, got %lld",
                          (long long)heads);
        return FG_E_RANGE;
    }
    if (!(a->dropout >= 0.0 && a->dropout < 1.0)) {
        fg_api->error_set(err, FG_E_RANGE, "multihead: dropout %g is not in [0, 1)", a->dropout);
        return FG_E_RANGE;
    }
    if (args->d_model % heads != 0) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "multihead: d_model %lld is not divisible by num_heads %lld",
                          (long long)args->d_model, (long long)heads);
        return FG_E_INVALID_ARG;
    }
    a->num_heads = (int32_t)heads;
    return FG_OK;
}

static fg_status create_params(multihead *a, const fg_create_args *args, int32_t bias,
                               double init_std, fg_error *err) {
    const int64_t C = args->d_model;
    const int64_t L = args->num_layers > 0 ? args->num_layers : 1;
    /* GPT-2: projections that write into the residual stream are scaled by
     * 1/sqrt(2*num_layers) so the stream's variance does not grow with depth. */
    const double proj_std = init_std / sqrt(2.0 * (double)L);
    const int64_t s_qkv_w[2] = {3 * C, C}, s_qkv_b[1] = {3 * C};
    const int64_t s_proj_w[2] = {C, C}, s_proj_b[1] = {C};
    fg_status st;
    if ((st = fg_api->param_new(args->scope, "qkv.weight", 2, s_qkv_w, FG_INIT_NORMAL, init_std,
                                &a->w_qkv, err)) != FG_OK)
        return st;
    if (bias && (st = fg_api->param_new(args->scope, "qkv.bias", 1, s_qkv_b, FG_INIT_ZEROS, 0.0,
                                        &a->b_qkv, err)) != FG_OK)
        return st;
    if ((st = fg_api->param_new(args->scope, "proj.weight", 2, s_proj_w, FG_INIT_NORMAL, proj_std,
                                &a->w_proj, err)) != FG_OK)
        return st;
    if (bias && (st = fg_api->param_new(args->scope, "proj.bias", 1, s_proj_b, FG_INIT_ZEROS, 0.0,
                                        &a->b_proj, err)) != FG_OK)
        return st;
    return FG_OK;
}

static fg_status multihead_create(const fg_params *params, const fg_create_args *args, void **out,
                                  fg_error *err) {
    if (args == NULL || args->struct_size < sizeof(fg_create_args) || args->scope == NULL ||
        args->d_model < 1) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "multihead: must be created by a block (needs a parameter scope and "
                          "d_model >= 1, got d_model %lld)",
                          (long long)(args != NULL ? args->d_model : 0));
        return FG_E_INVALID_ARG;
    }
    multihead *a = fg_api->alloc(sizeof(multihead));
    if (a == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "multihead: out of memory");
        return FG_E_NOMEM;
    }
    memset(a, 0, sizeof(*a));
    a->vt = &multihead_vtbl;
    int32_t bias = 1;
    double init_std = 0.02;
    fg_status st = read_config(a, params, args, &bias, &init_std, err);
    if (st == FG_OK) st = create_params(a, args, bias, init_std, err);
    if (st != FG_OK) {
        multihead_destroy(a);
        return st;
    }
    *out = a;
    return FG_OK;
}

static const fg_param_spec multihead_spec[] = {
    FG_SPEC_REQ_INT("num_heads", 1, 65536, "number of attention heads; must divide d_model"),
    FG_SPEC_BOOL("bias", "true", "add biases to the qkv and output projections"),
    FG_SPEC_FLOAT("dropout", "0.0", 0, 1,
                  "dropout on the attention output before the residual add, in [0, 1)"),
    FG_SPEC_FLOAT("init_std", "0.02", 0, INFINITY,
                  "std of the normal init of the weights; the output projection uses "
                  "init_std/sqrt(2*num_layers)"),
};

static const fg_factory_desc factories[] = {
    FG_FACTORY(FG_KIND_ATTENTION, "multihead",
               "Causal multi-head self-attention (GPT-2): fused qkv projection, scaled "
               "dot-product attention over num_heads heads, output projection.",
               multihead_spec, multihead_create),
};

FG_PLUGIN_DEFINE("multihead", "0.1.0", "Causal multi-head self-attention", "MIT", factories)
