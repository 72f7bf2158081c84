/* The transformer feed-forward network: fc (C -> H), activation, proj (H -> C), dropout.
 *
 *   mlp    a fixed activation: gelu (tanh approximation, GPT-2), relu or silu
 *   swish  x * sigmoid(beta_h x) with a slope beta_h learned per hidden unit
 *          (Ramachandran et al. 2017), initialised to `beta`
 *
 * One code path for both. Parameters (under the layer's scope): fc.weight [H, C],
 * fc.bias [H], proj.weight [C, H], proj.bias [C]; swish also beta [H]. H = d_hidden, or
 * hidden_mult * d_model when d_hidden is 0. The owner passes the block's index in
 * fg_create_args.layer_index; layers may differ by it, though these do not. */
#include <forgather/plugin.h>

#include "activation.h"
#include "codegen_common.h"
#include "layer_common.h"

#include <math.h>
#include <string.h>

typedef struct mlp {
    const fg_layer_vtbl *vt;
    const char *who;     /* the factory, for messages */
    int32_t activation;  /* ACT_*, when beta is NULL */
    double dropout;
    fg_tensor *w_fc, *b_fc, *w_proj, *b_proj; /* biases NULL when bias: false */
    fg_tensor *beta;                          /* swish: the learned slopes [H] */
} mlp;

static fg_status mlp_forward(void *self, fg_graph *g, fg_tensor *x, fg_tensor **out,
                             fg_error *err) {
    const mlp *m = self;
    fg_tensor *h = fg_api->op_linear(g, x, m->w_fc, m->b_fc);
    h = m->beta != NULL ? fg_api->op_swish(g, h, m->beta) : activation_apply(m->activation, g, h);
    fg_tensor *y = fg_api->op_linear(g, h, m->w_proj, m->b_proj);
    if (m->dropout > 0.0) y = fg_api->op_dropout(g, y, m->dropout);
    return layer_output(m->who, g, y, out, err);
}

/* The forward above as C, the activation in place on the hidden array. */
static fg_status mlp_emit_code(const void *self, fg_codegen *cg, fg_error *err) {
    const mlp *m = self;
    const char *w_fc = code_tensor(cg, m->who, m->w_fc, err);
    const char *b_fc = code_tensor(cg, m->who, m->b_fc, err);
    const char *w_proj = code_tensor(cg, m->who, m->w_proj, err);
    const char *b_proj = code_tensor(cg, m->who, m->b_proj, err);
    const char *beta = code_tensor(cg, m->who, m->beta, err); /* swish only */
    if (w_fc == NULL || b_fc == NULL || w_proj == NULL || b_proj == NULL || beta == NULL)
        return FG_E_NOT_FOUND;
    const int H = (int)fg_api->tensor_dim(m->w_fc, 0), C = (int)fg_api->tensor_dim(m->w_fc, 1);
    fg_api->code_printf(cg,
                        "    float *h = fgc_alloc((long)T * %d);\n"
                        "    fgc_linear(h, x, %s, %s, T, %d, %d);\n",
                        H, w_fc, b_fc, C, H);
    if (m->beta != NULL)
        fg_api->code_printf(cg, "    fgc_swish(h, h, %s, T, %d); /* h * sigmoid(beta h) */\n",
                            beta, H);
    else
        fg_api->code_printf(cg, "    %s(h, h, (long)T * %d);\n", activation_code_fn(m->activation),
                            H);
    fg_api->code_printf(cg, "    fgc_linear(y, h, %s, %s, T, %d, %d);\n", w_proj, b_proj, H, C);
    code_dropout_note(cg, "on the output", m->dropout);
    fg_api->code_printf(cg, "    fgc_free(h);\n");
    return FG_OK;
}

static void mlp_destroy(void *self) { fg_api->free(self); }

static const fg_layer_vtbl mlp_vtbl = {
    .base = {sizeof(fg_layer_vtbl), FG_KIND_FEEDFORWARD, mlp_destroy},
    .forward = mlp_forward,
    .emit_code = mlp_emit_code,
};

typedef struct mlp_config {
    int64_t hidden;
    int32_t bias;
    double init_std;
    double beta; /* swish: initial slope */
} mlp_config;

/* learned_swish: the swish factory (reads beta) rather than mlp (reads activation). */
static fg_status read_config(mlp *m, const fg_params *params, const fg_create_args *args,
                             int32_t learned_swish, mlp_config *cfg, fg_error *err) {
    int64_t mult = 0, d_hidden = 0;
    const char *act = NULL;
    fg_status st;
    if ((st = fg_api->param_int(params, "hidden_mult", &mult, err)) != FG_OK ||
        (st = fg_api->param_int(params, "d_hidden", &d_hidden, err)) != FG_OK ||
        (st = fg_api->param_bool(params, "bias", &cfg->bias, err)) != FG_OK ||
        (st = fg_api->param_float(params, "dropout", &m->dropout, err)) != FG_OK ||
        (st = fg_api->param_float(params, "init_std", &cfg->init_std, err)) != FG_OK ||
        (st = layer_check_dropout(m->who, "dropout", m->dropout, err)) != FG_OK)
        return st;
    if (learned_swish) {
        if ((st = fg_api->param_float(params, "beta", &cfg->beta, err)) != FG_OK) return st;
        if (!isfinite(cfg->beta)) {
            fg_api->error_set(err, FG_E_RANGE, "%s: beta must be finite, got %g", m->who,
                              cfg->beta);
            return FG_E_RANGE;
        }
    } else {
        if ((st = fg_api->param_str(params, "activation", &act, err)) != FG_OK) return st;
        if ((m->activation = activation_find(m->who, act, err)) < 0) return FG_E_INVALID_ARG;
    }
    if (d_hidden < 0 || mult < 1) {
        fg_api->error_set(err, FG_E_RANGE,
                          "%s: need d_hidden >= 0 and hidden_mult >= 1, got %lld and %lld", m->who,
                          (long long)d_hidden, (long long)mult);
        return FG_E_RANGE;
    }
    cfg->hidden = d_hidden > 0 ? d_hidden : mult * args->d_model;
    return FG_OK;
}

static fg_status create_params(mlp *m, const fg_create_args *args, int32_t learned_swish,
                               const mlp_config *cfg, fg_error *err) {
    const int64_t C = args->d_model, H = cfg->hidden;
    const int64_t L = args->num_layers > 0 ? args->num_layers : 1;
    /* GPT-2 residual scaling, as in the attention output projection. */
    const double proj_std = cfg->init_std / sqrt(2.0 * (double)L);
    const int64_t s_fc_w[2] = {H, C}, s_fc_b[1] = {H}, s_proj_w[2] = {C, H}, s_proj_b[1] = {C};
    fg_status st;
    if ((st = fg_api->param_new(args->scope, "fc.weight", 2, s_fc_w, FG_INIT_NORMAL, cfg->init_std,
                                &m->w_fc, err)) != FG_OK)
        return st;
    if (cfg->bias && (st = fg_api->param_new(args->scope, "fc.bias", 1, s_fc_b, FG_INIT_ZEROS, 0.0,
                                             &m->b_fc, err)) != FG_OK)
        return st;
    if ((st = fg_api->param_new(args->scope, "proj.weight", 2, s_proj_w, FG_INIT_NORMAL, proj_std,
                                &m->w_proj, err)) != FG_OK)
        return st;
    if (cfg->bias && (st = fg_api->param_new(args->scope, "proj.bias", 1, s_proj_b, FG_INIT_ZEROS,
                                             0.0, &m->b_proj, err)) != FG_OK)
        return st;
    if (learned_swish) {
        if ((st = fg_api->param_new(args->scope, "beta", 1, s_fc_b, FG_INIT_ONES, 0.0, &m->beta,
                                    err)) != FG_OK)
            return st;
        float *beta = fg_api->tensor_data(m->beta); /* no constant initializer: scale ones */
        for (int64_t h = 0; h < H; h++) beta[h] = (float)cfg->beta;
    }
    return FG_OK;
}

static fg_status ffn_create(const char *who, int32_t learned_swish, const fg_params *params,
                            const fg_create_args *args, void **out, fg_error *err) {
    fg_status st = layer_check_args(who, args, err);
    if (st != FG_OK) return st;
    mlp *m = fg_api->alloc(sizeof(mlp));
    if (m == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "%s: out of memory", who);
        return FG_E_NOMEM;
    }
    memset(m, 0, sizeof(*m));
    m->vt = &mlp_vtbl;
    m->who = who;
    mlp_config cfg = {0, 1, 0.02, 1.0};
    st = read_config(m, params, args, learned_swish, &cfg, err);
    if (st == FG_OK) st = create_params(m, args, learned_swish, &cfg, err);
    if (st != FG_OK) {
        mlp_destroy(m);
        return st;
    }
    *out = m;
    return FG_OK;
}

static fg_status mlp_create(const fg_params *params, const fg_create_args *args, void **out,
                            fg_error *err) {
    return ffn_create("mlp", 0, params, args, out, err);
}

static fg_status swish_create(const fg_params *params, const fg_create_args *args, void **out,
                              fg_error *err) {
    return ffn_create("swish", 1, params, args, out, err);
}

/* The keys both factories share. */
#define FFN_COMMON_SPEC                                                                           \
    FG_SPEC_INT("hidden_mult", "4", 1, 1024,                                                      \
                "hidden width as a multiple of d_model (used when d_hidden is 0)"),               \
        FG_SPEC_INT("d_hidden", "0", 0, 1e9, "hidden width; 0 means hidden_mult * d_model"),      \
        FG_SPEC_BOOL("bias", "true", "add biases to both projections"),                           \
        FG_SPEC_FLOAT("dropout", "0.0", 0, 1,                                                     \
                      "dropout on the output before the residual add, in [0, 1)"),                \
        FG_SPEC_FLOAT("init_std", "0.02", 0, INFINITY,                                            \
                      "std of the normal init of the weights; the output projection uses "         \
                      "init_std/sqrt(2*num_layers)")

static const fg_param_spec mlp_spec[] = {
    FFN_COMMON_SPEC,
    FG_SPEC_STR("activation", "gelu", activation_names,
                "activation between the two projections (gelu is the tanh approximation)"),
};

static const fg_param_spec swish_spec[] = {
    FFN_COMMON_SPEC,
    FG_SPEC_FLOAT("beta", "1.0", 1, 0,
                  "initial slope of every hidden unit's swish x * sigmoid(beta x) (learned, "
                  "parameter 'beta' [H]); 1 starts as silu"),
};

static const fg_factory_desc factories[] = {
    FG_FACTORY(FG_KIND_FEEDFORWARD, "mlp",
               "Two-layer feed-forward network (GPT-2 MLP): linear to the hidden width, "
               "gelu/relu/silu, linear back to d_model.",
               mlp_spec, mlp_create),
    FG_FACTORY(FG_KIND_FEEDFORWARD, "swish",
               "Two-layer feed-forward network with a learned swish: linear to the hidden "
               "width, x * sigmoid(beta_h x) with one learned slope per hidden unit, linear back "
               "to d_model.",
               swish_spec, swish_create),
};

FG_PLUGIN_DEFINE("mlp", "0.2.0", "Feed-forward layers: mlp and learned-slope swish", "MIT",
                 factories)
