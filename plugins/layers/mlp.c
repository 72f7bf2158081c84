/* The transformer feed-forward network: fc (C -> H), activation, proj (H -> C), dropout.
 * Parameters (under the layer's scope): fc.weight [H, C], fc.bias [H], proj.weight [C, H],
 * proj.bias [C]. H = d_hidden, or hidden_mult * d_model when d_hidden is 0. */
#include <forgather/plugin.h>

#include <math.h>
#include <string.h>

typedef fg_tensor *(*activation_fn)(fg_graph *g, fg_tensor *x);

typedef struct mlp {
    const fg_layer_vtbl *vt;
    int32_t activation; /* index into activation_names */
    double dropout;
    fg_tensor *w_fc, *b_fc, *w_proj, *b_proj; /* biases NULL when bias: false */
} mlp;

static const char *const activation_names[] = {"gelu", "relu", "silu", NULL};

/* Looked up at call time: fg_api is only set once the host has loaded the plugin. */
static fg_tensor *apply_activation(int32_t which, fg_graph *g, fg_tensor *x) {
    switch (which) {
    case 1: return fg_api->op_relu(g, x);
    case 2: return fg_api->op_silu(g, x);
    default: return fg_api->op_gelu(g, x);
    }
}

static fg_status mlp_forward(void *self, fg_graph *g, fg_tensor *x, fg_tensor **out,
                             fg_error *err) {
    const mlp *m = self;
    fg_tensor *h = fg_api->op_linear(g, x, m->w_fc, m->b_fc);
    h = apply_activation(m->activation, g, h);
    fg_tensor *y = fg_api->op_linear(g, h, m->w_proj, m->b_proj);
    if (m->dropout > 0.0) y = fg_api->op_dropout(g, y, m->dropout);
    fg_status st = fg_api->graph_status(g, err); /* sticky: covers the whole chain */
    if (st != FG_OK) return st;
    if (y == NULL) {
        fg_api->error_set(err, FG_E_INTERNAL, "mlp: forward produced no output");
        return FG_E_INTERNAL;
    }
    *out = y;
    return FG_OK;
}

static void mlp_destroy(void *self) { fg_api->free(self); }

static const fg_layer_vtbl mlp_vtbl = {
    .base = {sizeof(fg_layer_vtbl), FG_KIND_FEEDFORWARD, mlp_destroy},
    .forward = mlp_forward,
};

typedef struct mlp_config {
    int64_t hidden;
    int32_t bias;
    double init_std;
} mlp_config;

static fg_status read_config(mlp *m, const fg_params *params, const fg_create_args *args,
                             mlp_config *cfg, fg_error *err) {
    int64_t mult = 0, d_hidden = 0;
    const char *act = NULL;
    fg_status st;
    if ((st = fg_api->param_int(params, "hidden_mult", &mult, err)) != FG_OK ||
        (st = fg_api->param_int(params, "d_hidden", &d_hidden, err)) != FG_OK ||
        (st = fg_api->param_str(params, "activation", &act, err)) != FG_OK ||
        (st = fg_api->param_bool(params, "bias", &cfg->bias, err)) != FG_OK ||
        (st = fg_api->param_float(params, "dropout", &m->dropout, err)) != FG_OK ||
        (st = fg_api->param_float(params, "init_std", &cfg->init_std, err)) != FG_OK)
        return st;
    m->activation = -1;
    for (int32_t i = 0; act != NULL && activation_names[i] != NULL; i++)
        if (strcmp(act, activation_names[i]) == 0) m->activation = i;
    if (m->activation < 0) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "mlp: unknown activation '%s' (choices: gelu, relu, silu)",
                          act != NULL ? act : "(null)");
        return FG_E_INVALID_ARG;
    }
    if (!(m->dropout >= 0.0 && m->dropout < 1.0)) {
        fg_api->error_set(err, FG_E_RANGE, "mlp: dropout %g is not in [0, 1)", m->dropout);
        return FG_E_RANGE;
    }
    if (d_hidden < 0 || mult < 1) {
        fg_api->error_set(err, FG_E_RANGE,
                          "mlp: need d_hidden >= 0 and hidden_mult >= 1, got %lld and %lld",
                          (long long)d_hidden, (long long)mult);
        return FG_E_RANGE;
    }
    cfg->hidden = d_hidden > 0 ? d_hidden : mult * args->d_model;
    return FG_OK;
}

static fg_status create_params(mlp *m, const fg_create_args *args, const mlp_config *cfg,
                               fg_error *err) {
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
    return FG_OK;
}

static fg_status mlp_create(const fg_params *params, const fg_create_args *args, void **out,
                            fg_error *err) {
    if (args == NULL || args->struct_size < sizeof(fg_create_args) || args->scope == NULL ||
        args->d_model < 1) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "mlp: must be created by a block (needs a parameter scope and "
                          "d_model >= 1, got d_model %lld)",
                          (long long)(args != NULL ? args->d_model : 0));
        return FG_E_INVALID_ARG;
    }
    mlp *m = fg_api->alloc(sizeof(mlp));
    if (m == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "mlp: out of memory");
        return FG_E_NOMEM;
    }
    memset(m, 0, sizeof(*m));
    m->vt = &mlp_vtbl;
    mlp_config cfg = {0, 1, 0.02};
    fg_status st = read_config(m, params, args, &cfg, err);
    if (st == FG_OK) st = create_params(m, args, &cfg, err);
    if (st != FG_OK) {
        mlp_destroy(m);
        return st;
    }
    *out = m;
    return FG_OK;
}

static const fg_param_spec mlp_spec[] = {
    FG_SPEC_INT("hidden_mult", "4", 1, 1024,
                "hidden width as a multiple of d_model (used when d_hidden is 0)"),
    FG_SPEC_INT("d_hidden", "0", 0, 1e9, "hidden width; 0 means hidden_mult * d_model"),
    FG_SPEC_STR("activation", "gelu", activation_names,
                "activation between the two projections (gelu is the tanh approximation)"),
    FG_SPEC_BOOL("bias", "true", "add biases to both projections"),
    FG_SPEC_FLOAT("dropout", "0.0", 0, 1,
                  "dropout on the output before the residual add, in [0, 1)"),
    FG_SPEC_FLOAT("init_std", "0.02", 0, INFINITY,
                  "std of the normal init of the weights; the output projection uses "
                  "init_std/sqrt(2*num_layers)"),
};

static const fg_factory_desc factories[] = {
    FG_FACTORY(FG_KIND_FEEDFORWARD, "mlp",
               "Two-layer feed-forward network (GPT-2 MLP): linear to the hidden width, "
               "gelu/relu/silu, linear back to d_model.",
               mlp_spec, mlp_create),
};

FG_PLUGIN_DEFINE("mlp", "0.1.0", "Feed-forward (MLP) layer", "MIT", factories)
