/* Gated feed-forward networks (Shazeer 2020, "GLU Variants Improve Transformer"):
 *   y = proj( act(gate(x)) * up(x) ), then dropout.
 *
 *   glu     activation chosen by `activation` (default silu)
 *   swiglu  the same with default activation silu (LLaMA)
 *   geglu   the same with default activation gelu
 *
 * One code path for the three; they differ only in the default. Parameters (under the
 * layer's scope): gate.weight [H, C], up.weight [H, C], proj.weight [C, H]; with bias:
 * true also gate.bias [H], up.bias [H], proj.bias [C].
 *
 * Hidden width H: d_hidden when set, else LLaMA's rule, which keeps the parameter count
 * of a plain MLP of hidden_mult * d_model (three matrices instead of two):
 *   H = multiple_of * ceil(floor(2 * hidden_mult * d_model / 3) / multiple_of).
 * The owner passes the block's index in fg_create_args.layer_index; layers may differ by
 * it, though these do not. */
#include <forgather/plugin.h>

#include "activation.h"
#include "codegen_common.h"
#include "layer_common.h"

#include <math.h>
#include <string.h>

typedef struct glu {
    const fg_layer_vtbl *vt;
    const char *who;    /* the factory, for messages */
    int32_t activation; /* ACT_* */
    double dropout;
    fg_tensor *w_gate, *b_gate, *w_up, *b_up, *w_proj, *b_proj; /* biases NULL without bias */
} glu;

static fg_status glu_forward(void *self, fg_graph *g, fg_tensor *x, fg_tensor **out,
                             fg_error *err) {
    const glu *m = self;
    fg_tensor *gate = fg_api->op_linear(g, x, m->w_gate, m->b_gate);
    fg_tensor *up = fg_api->op_linear(g, x, m->w_up, m->b_up);
    fg_tensor *h = fg_api->op_mul(g, activation_apply(m->activation, g, gate), up);
    fg_tensor *y = fg_api->op_linear(g, h, m->w_proj, m->b_proj);
    if (m->dropout > 0.0) y = fg_api->op_dropout(g, y, m->dropout);
    return layer_output(m->who, g, y, out, err);
}

/* The forward above as C: the gate is activated and multiplied in place. */
static fg_status glu_emit_code(const void *self, fg_codegen *cg, fg_error *err) {
    const glu *m = self;
    const char *w_gate = code_tensor(cg, m->who, m->w_gate, err);
    const char *b_gate = code_tensor(cg, m->who, m->b_gate, err);
    const char *w_up = code_tensor(cg, m->who, m->w_up, err);
    const char *b_up = code_tensor(cg, m->who, m->b_up, err);
    const char *w_proj = code_tensor(cg, m->who, m->w_proj, err);
    const char *b_proj = code_tensor(cg, m->who, m->b_proj, err);
    if (w_gate == NULL || b_gate == NULL || w_up == NULL || b_up == NULL || w_proj == NULL ||
        b_proj == NULL)
        return FG_E_NOT_FOUND;
    const int H = (int)fg_api->tensor_dim(m->w_gate, 0), C = (int)fg_api->tensor_dim(m->w_gate, 1);
    fg_api->code_printf(cg,
                        "    /* proj(%s(gate(x)) * up(x)) */\n"
                        "    float *gate = fgc_alloc((long)T * %d);\n"
                        "    float *up = fgc_alloc((long)T * %d);\n"
                        "    fgc_linear(gate, x, %s, %s, T, %d, %d);\n"
                        "    fgc_linear(up, x, %s, %s, T, %d, %d);\n"
                        "    %s(gate, gate, (long)T * %d);\n"
                        "    fgc_mul(gate, gate, up, (long)T * %d);\n"
                        "    fgc_linear(y, gate, %s, %s, T, %d, %d);\n",
                        activation_names[m->activation], H, H, w_gate, b_gate, C, H, w_up, b_up, C,
                        H, activation_code_fn(m->activation), H, H, w_proj, b_proj, H, C);
    code_dropout_note(cg, "on the output", m->dropout);
    fg_api->code_printf(cg, "    fgc_free(up);\n    fgc_free(gate);\n");
    return FG_OK;
}

static void glu_destroy(void *self) { fg_api->free(self); }

static const fg_layer_vtbl glu_vtbl = {
    .base = {sizeof(fg_layer_vtbl), FG_KIND_FEEDFORWARD, glu_destroy},
    .forward = glu_forward,
    .emit_code = glu_emit_code,
};

typedef struct glu_config {
    int64_t hidden;
    int32_t bias;
    double init_std;
} glu_config;

static fg_status read_config(glu *m, const fg_params *params, const fg_create_args *args,
                             glu_config *cfg, fg_error *err) {
    int64_t d_hidden = 0, mult = 0, multiple_of = 0;
    const char *act = NULL;
    fg_status st;
    if ((st = fg_api->param_int(params, "d_hidden", &d_hidden, err)) != FG_OK ||
        (st = fg_api->param_int(params, "hidden_mult", &mult, err)) != FG_OK ||
        (st = fg_api->param_int(params, "multiple_of", &multiple_of, err)) != FG_OK ||
        (st = fg_api->param_str(params, "activation", &act, err)) != FG_OK ||
        (st = fg_api->param_bool(params, "bias", &cfg->bias, err)) != FG_OK ||
        (st = fg_api->param_float(params, "dropout", &m->dropout, err)) != FG_OK ||
        (st = fg_api->param_float(params, "init_std", &cfg->init_std, err)) != FG_OK ||
        (st = layer_check_dropout(m->who, "dropout", m->dropout, err)) != FG_OK)
        return st;
    if ((m->activation = activation_find(m->who, act, err)) < 0) return FG_E_INVALID_ARG;
    if (d_hidden < 0 || mult < 1 || multiple_of < 1) {
        fg_api->error_set(err, FG_E_RANGE,
                          "%s: need d_hidden >= 0, hidden_mult >= 1 and multiple_of >= 1, got "
                          "%lld, %lld and %lld",
                          m->who, (long long)d_hidden, (long long)mult, (long long)multiple_of);
        return FG_E_RANGE;
    }
    if (d_hidden > 0) {
        cfg->hidden = d_hidden;
        return FG_OK;
    }
    const int64_t two_thirds = 2 * mult * args->d_model / 3;
    cfg->hidden = multiple_of * ((two_thirds + multiple_of - 1) / multiple_of);
    return FG_OK;
}

static fg_status create_params(glu *m, const fg_create_args *args, const glu_config *cfg,
                               fg_error *err) {
    const int64_t C = args->d_model, H = cfg->hidden;
    const int64_t L = args->num_layers > 0 ? args->num_layers : 1;
    /* GPT-2 residual scaling, as in the attention output projection. */
    const double proj_std = cfg->init_std / sqrt(2.0 * (double)L);
    const int64_t s_in_w[2] = {H, C}, s_in_b[1] = {H}, s_proj_w[2] = {C, H}, s_proj_b[1] = {C};
    const struct {
        const char *weight, *bias;
        const int64_t *w_shape, *b_shape;
        double std;
        fg_tensor **w, **b;
    } mats[3] = {
        {"gate.weight", "gate.bias", s_in_w, s_in_b, cfg->init_std, &m->w_gate, &m->b_gate},
        {"up.weight", "up.bias", s_in_w, s_in_b, cfg->init_std, &m->w_up, &m->b_up},
        {"proj.weight", "proj.bias", s_proj_w, s_proj_b, proj_std, &m->w_proj, &m->b_proj},
    };
    fg_status st;
    for (int i = 0; i < 3; i++) {
        if ((st = fg_api->param_new(args->scope, mats[i].weight, 2, mats[i].w_shape, FG_INIT_NORMAL,
                                    mats[i].std, mats[i].w, err)) != FG_OK)
            return st;
        if (cfg->bias && (st = fg_api->param_new(args->scope, mats[i].bias, 1, mats[i].b_shape,
                                                 FG_INIT_ZEROS, 0.0, mats[i].b, err)) != FG_OK)
            return st;
    }
    return FG_OK;
}

static fg_status glu_create_as(const char *who, const fg_params *params,
                               const fg_create_args *args, void **out, fg_error *err) {
    fg_status st = layer_check_args(who, args, err);
    if (st != FG_OK) return st;
    glu *m = fg_api->alloc(sizeof(glu));
    if (m == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "%s: out of memory", who);
        return FG_E_NOMEM;
    }
    memset(m, 0, sizeof(*m));
    m->vt = &glu_vtbl;
    m->who = who;
    glu_config cfg = {0, 0, 0.02};
    st = read_config(m, params, args, &cfg, err);
    if (st == FG_OK) st = create_params(m, args, &cfg, err);
    if (st != FG_OK) {
        glu_destroy(m);
        return st;
    }
    *out = m;
    return FG_OK;
}

static fg_status glu_create(const fg_params *params, const fg_create_args *args, void **out,
                            fg_error *err) {
    return glu_create_as("glu", params, args, out, err);
}

static fg_status swiglu_create(const fg_params *params, const fg_create_args *args, void **out,
                               fg_error *err) {
    return glu_create_as("swiglu", params, args, out, err);
}

static fg_status geglu_create(const fg_params *params, const fg_create_args *args, void **out,
                              fg_error *err) {
    return glu_create_as("geglu", params, args, out, err);
}

/* The spec of all three, differing only in the default activation. */
#define GLU_SPEC(default_activation)                                                              \
    {                                                                                             \
        FG_SPEC_INT("d_hidden", "0", 0, 1e9,                                                      \
                    "hidden width H; 0 means multiple_of * ceil(floor(2 * hidden_mult * "         \
                    "d_model / 3) / multiple_of) (LLaMA: a plain MLP's parameter count)"),        \
            FG_SPEC_INT("hidden_mult", "4", 1, 1024,                                              \
                        "the plain MLP width, as a multiple of d_model, that the automatic "      \
                        "d_hidden matches"),                                                      \
            FG_SPEC_INT("multiple_of", "8", 1, 65536,                                             \
                        "the automatic d_hidden is rounded up to a multiple of this"),            \
            FG_SPEC_STR("activation", default_activation, activation_names,                       \
                        "activation of the gate branch: act(gate(x)) * up(x)"),                   \
            FG_SPEC_BOOL("bias", "false", "add biases to the gate, up and output projections"),   \
            FG_SPEC_FLOAT("dropout", "0.0", 0, 1,                                                 \
                          "dropout on the output before the residual add, in [0, 1)"),            \
            FG_SPEC_FLOAT("init_std", "0.02", 0, INFINITY,                                        \
                          "std of the normal init of the weights; the output projection uses "     \
                          "init_std/sqrt(2*num_layers)"),                                         \
    }

static const fg_param_spec glu_spec[] = GLU_SPEC("silu"); /* glu and swiglu */
static const fg_param_spec geglu_spec[] = GLU_SPEC("gelu");

static const fg_factory_desc factories[] = {
    FG_FACTORY(FG_KIND_FEEDFORWARD, "glu",
               "Gated feed-forward network: proj(act(gate(x)) * up(x)), act silu, gelu or "
               "relu (default silu).",
               glu_spec, glu_create),
    FG_FACTORY(FG_KIND_FEEDFORWARD, "swiglu",
               "SwiGLU feed-forward network (LLaMA): proj(silu(gate(x)) * up(x)); glu with "
               "activation silu by default.",
               glu_spec, swiglu_create),
    FG_FACTORY(FG_KIND_FEEDFORWARD, "geglu",
               "GEGLU feed-forward network: proj(gelu(gate(x)) * up(x)); glu with activation "
               "gelu by default.",
               geglu_spec, geglu_create),
};

FG_PLUGIN_DEFINE("glu", "0.1.0", "Gated feed-forward layers: glu, swiglu, geglu", "MIT", factories)
