/* Causal self-attention: one fused qkv projection, optional rotary embedding of the query
 * and key heads, the host's attention op (grouped-query heads, optional ALiBi biases,
 * probability dropout), an output projection, then residual dropout.
 *
 *   multihead   num_heads query heads of D = d_model / num_heads, sharing num_kv_heads
 *               key/value heads (GPT-2 when equal; grouped-query when fewer; 1: multi-query)
 *   singlehead  one head as wide as d_model (Forgather's single-head attention)
 *
 * Both are this one code path; singlehead is multihead with H = Hkv = 1. Parameters
 * (under the layer's scope, names as GPT-2's so checkpoints load either way):
 *   qkv.weight [(H + 2 Hkv) D, C]: rows of the H query heads, then Hkv key heads, then Hkv
 *   value heads; qkv.bias [(H + 2 Hkv) D]; proj.weight [C, H D]; proj.bias [C].
 *
 * The owner passes fg_create_args.layer_index (the block's index); layers may differ by
 * it, though this one does not use it. */
#include <forgather/plugin.h>

#include "codegen_common.h"
#include "layer_common.h"

#include <math.h>
#include <string.h>

typedef enum positional { POS_NONE, POS_ROPE, POS_ALIBI } positional;
static const char *const positional_names[] = {"none", "rope", "alibi", NULL};
/* Index i is FG_ATTN_IMPL_* i. */
static const char *const impl_names[] = {"auto", "plain", "lean", NULL};

typedef struct attention {
    const fg_layer_vtbl *vt;
    const char *who; /* the factory, for messages */
    fg_attention_desc desc;
    int32_t head_dim;
    int32_t rope;
    double rope_base;
    double dropout; /* on the output, before the residual add */
    fg_tensor *w_qkv, *b_qkv, *w_proj, *b_proj; /* biases NULL when bias: false */
} attention;

static fg_status attention_forward(void *self, fg_graph *g, fg_tensor *x, fg_tensor **out,
                                   fg_error *err) {
    const attention *a = self;
    fg_tensor *qkv = fg_api->op_linear(g, x, a->w_qkv, a->b_qkv);
    /* Rotate the query and key heads (the first H + Hkv); the value heads pass through. */
    if (a->rope)
        qkv = fg_api->op_rope(g, qkv, a->desc.num_heads + a->desc.num_kv_heads, a->head_dim,
                              a->rope_base);
    fg_tensor *h = fg_api->op_attention(g, qkv, &a->desc);
    fg_tensor *y = fg_api->op_linear(g, h, a->w_proj, a->b_proj);
    if (a->dropout > 0.0) y = fg_api->op_dropout(g, y, a->dropout);
    return layer_output(a->who, g, y, out, err);
}

/* The forward above as C: the same steps on the runtime's [T, width] arrays. */
static fg_status attention_emit_code(const void *self, fg_codegen *cg, fg_error *err) {
    const attention *a = self;
    const char *w_qkv = code_tensor(cg, a->who, a->w_qkv, err);
    const char *b_qkv = code_tensor(cg, a->who, a->b_qkv, err);
    const char *w_proj = code_tensor(cg, a->who, a->w_proj, err);
    const char *b_proj = code_tensor(cg, a->who, a->b_proj, err);
    if (w_qkv == NULL || b_qkv == NULL || w_proj == NULL || b_proj == NULL) return FG_E_NOT_FOUND;
    const int H = a->desc.num_heads, Hkv = a->desc.num_kv_heads, D = a->head_dim;
    const int C = (int)fg_api->tensor_dim(a->w_qkv, 1), QKV = (H + 2 * Hkv) * D;
    const int causal = (a->desc.flags & FG_ATTN_CAUSAL) != 0;
    const int alibi = (a->desc.flags & FG_ATTN_ALIBI) != 0;
    fg_api->code_printf(cg,
                        "    /* fused q, k, v projection: %d + %d + %d heads of width %d */\n"
                        "    float *qkv = fgc_alloc((long)T * %d);\n"
                        "    fgc_linear(qkv, x, %s, %s, T, %d, %d);\n",
                        H, Hkv, Hkv, D, QKV, w_qkv, b_qkv, C, QKV);
    if (a->rope)
        fg_api->code_printf(cg,
                            "    /* rotary embedding of the %d query and %d key heads */\n"
                            "    fgc_rope(qkv, T, %d, %d, %d, %s);\n",
                            H, Hkv, QKV, H + Hkv, D, code_float(a->rope_base).s);
    fg_api->code_printf(cg, "    /* %s attention%s", causal ? "causal" : "full",
                        alibi ? " with ALiBi biases" : "");
    if (Hkv < H) fg_api->code_printf(cg, ", %d query heads per key/value head", H / Hkv);
    fg_api->code_printf(cg,
                        " */\n"
                        "    float *h = fgc_alloc((long)T * %d);\n"
                        "    fgc_attention(h, qkv, T, %d, %d, %d, %d, %d, %s);",
                        H * D, H, Hkv, D, causal, alibi, code_float(a->desc.scale).s);
    if (a->desc.scale > 0.0)
        fg_api->code_printf(cg, "\n");
    else
        fg_api->code_printf(cg, " /* scale 0: 1/sqrt(%d) */\n", D);
    code_dropout_note(cg, "on the attention probabilities", a->desc.dropout);
    fg_api->code_printf(cg,
                        "    fgc_linear(y, h, %s, %s, T, %d, %d); /* output projection */\n",
                        w_proj, b_proj, H * D, C);
    code_dropout_note(cg, "on the output", a->dropout);
    fg_api->code_printf(cg, "    fgc_free(h);\n    fgc_free(qkv);\n");
    return FG_OK;
}

static void attention_destroy(void *self) { fg_api->free(self); }

static const fg_layer_vtbl attention_vtbl = {
    .base = {sizeof(fg_layer_vtbl), FG_KIND_ATTENTION, attention_destroy},
    .forward = attention_forward,
    .emit_code = attention_emit_code,
};

/* The index of `value` in a NULL-terminated list of names, or -1 with the error set. */
static int32_t choose(const char *who, const char *key, const char *value,
                      const char *const *names, fg_error *err) {
    for (int32_t i = 0; value != NULL && names[i] != NULL; i++)
        if (strcmp(value, names[i]) == 0) return i;
    fg_api->error_set(err, FG_E_INVALID_ARG, "%s: %s '%s' is not one of the choices", who, key,
                      value != NULL ? value : "(null)");
    return -1;
}

/* Head counts: from the config for multihead, one of d_model's width for singlehead. */
static fg_status read_heads(attention *a, const fg_params *params, int64_t d_model,
                            int32_t configurable, fg_error *err) {
    int64_t heads = 1, kv_heads = 1;
    fg_status st;
    if (configurable && ((st = fg_api->param_int(params, "num_heads", &heads, err)) != FG_OK ||
                         (st = fg_api->param_int(params, "num_kv_heads", &kv_heads, err)) != FG_OK))
        return st;
    if (heads < 1 || heads > INT32_MAX || d_model % heads != 0) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "%s: num_heads %lld must be >= 1 and divide d_model %lld", a->who,
                          (long long)heads, (long long)d_model);
        return FG_E_INVALID_ARG;
    }
    if (kv_heads == 0) kv_heads = heads;
    if (kv_heads < 1 || kv_heads > heads || heads % kv_heads != 0) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "%s: num_kv_heads %lld must divide num_heads %lld (0 means num_heads, "
                          "1 multi-query)",
                          a->who, (long long)kv_heads, (long long)heads);
        return FG_E_INVALID_ARG;
    }
    a->desc.num_heads = (int32_t)heads;
    a->desc.num_kv_heads = (int32_t)kv_heads;
    a->head_dim = (int32_t)(d_model / heads);
    return FG_OK;
}

static fg_status read_positional(attention *a, const fg_params *params, fg_error *err) {
    const char *pos = NULL;
    fg_status st;
    if ((st = fg_api->param_str(params, "positional", &pos, err)) != FG_OK ||
        (st = fg_api->param_float(params, "rope_base", &a->rope_base, err)) != FG_OK)
        return st;
    const int32_t which = choose(a->who, "positional", pos, positional_names, err);
    if (which < 0) return FG_E_INVALID_ARG;
    a->rope = which == POS_ROPE;
    if (which == POS_ALIBI) a->desc.flags |= FG_ATTN_ALIBI;
    if (a->rope && a->head_dim % 2 != 0) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "%s: positional rope pairs the dims of a head, so the head width must "
                          "be even; got %d (d_model / num_heads)",
                          a->who, (int)a->head_dim);
        return FG_E_INVALID_ARG;
    }
    if (a->rope && !(a->rope_base > 0.0 && isfinite(a->rope_base))) {
        fg_api->error_set(err, FG_E_RANGE, "%s: rope_base must be a finite number > 0, got %g",
                          a->who, a->rope_base);
        return FG_E_RANGE;
    }
    return FG_OK;
}

static fg_status read_config(attention *a, const fg_params *params, const fg_create_args *args,
                             int32_t configurable_heads, int32_t *bias, double *init_std,
                             fg_error *err) {
    const char *impl = NULL;
    fg_status st;
    if ((st = read_heads(a, params, args->d_model, configurable_heads, err)) != FG_OK ||
        (st = read_positional(a, params, err)) != FG_OK ||
        (st = fg_api->param_bool(params, "bias", bias, err)) != FG_OK ||
        (st = fg_api->param_float(params, "dropout", &a->dropout, err)) != FG_OK ||
        (st = fg_api->param_float(params, "attn_dropout", &a->desc.dropout, err)) != FG_OK ||
        (st = fg_api->param_str(params, "impl", &impl, err)) != FG_OK ||
        (st = fg_api->param_float(params, "init_std", init_std, err)) != FG_OK ||
        (st = layer_check_dropout(a->who, "dropout", a->dropout, err)) != FG_OK ||
        (st = layer_check_dropout(a->who, "attn_dropout", a->desc.dropout, err)) != FG_OK)
        return st;
    a->desc.impl = choose(a->who, "impl", impl, impl_names, err);
    return a->desc.impl < 0 ? FG_E_INVALID_ARG : FG_OK;
}

static fg_status create_params(attention *a, const fg_create_args *args, int32_t bias,
                               double init_std, fg_error *err) {
    const int64_t C = args->d_model, D = a->head_dim;
    const int64_t QKV = (a->desc.num_heads + 2 * (int64_t)a->desc.num_kv_heads) * D;
    const int64_t L = args->num_layers > 0 ? args->num_layers : 1;
    /* GPT-2: projections that write into the residual stream are scaled by
     * 1/sqrt(2*num_layers) so the stream's variance does not grow with depth. */
    const double proj_std = init_std / sqrt(2.0 * (double)L);
    const int64_t s_qkv_w[2] = {QKV, C}, s_qkv_b[1] = {QKV};
    const int64_t s_proj_w[2] = {C, a->desc.num_heads * D}, s_proj_b[1] = {C};
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

static fg_status attention_create(const char *who, int32_t configurable_heads,
                                  const fg_params *params, const fg_create_args *args, void **out,
                                  fg_error *err) {
    fg_status st = layer_check_args(who, args, err);
    if (st != FG_OK) return st;
    attention *a = fg_api->alloc(sizeof(attention));
    if (a == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "%s: out of memory", who);
        return FG_E_NOMEM;
    }
    memset(a, 0, sizeof(*a));
    a->vt = &attention_vtbl;
    a->who = who;
    a->desc.struct_size = sizeof(fg_attention_desc);
    a->desc.flags = FG_ATTN_CAUSAL;
    int32_t bias = 1;
    double init_std = 0.02;
    st = read_config(a, params, args, configurable_heads, &bias, &init_std, err);
    if (st == FG_OK) st = create_params(a, args, bias, init_std, err);
    if (st != FG_OK) {
        attention_destroy(a);
        return st;
    }
    *out = a;
    return FG_OK;
}

static fg_status multihead_create(const fg_params *params, const fg_create_args *args, void **out,
                                  fg_error *err) {
    return attention_create("multihead", 1, params, args, out, err);
}

static fg_status singlehead_create(const fg_params *params, const fg_create_args *args, void **out,
                                   fg_error *err) {
    return attention_create("singlehead", 0, params, args, out, err);
}

/* The keys both factories share; multihead adds the head counts in front. */
#define ATTENTION_COMMON_SPEC                                                                    \
    FG_SPEC_STR("positional", "none", positional_names,                                          \
                "position information inside attention: none; rope (rotary embedding of the "    \
                "query and key heads, rotate-half pairing, needs an even head width); alibi "    \
                "(linear biases -m_h (i - j) on the scores, slopes m_h of Press et al.)"),       \
        FG_SPEC_FLOAT("rope_base", "10000.0", 0, INFINITY,                                       \
                      "rope: dims i and i + D/2 of a head turn by position * rope_base^(-2i/D) " \
                      "(> 0)"),                                                                   \
        FG_SPEC_BOOL("bias", "true", "add biases to the qkv and output projections"),             \
        FG_SPEC_FLOAT("dropout", "0.0", 0, 1,                                                    \
                      "dropout on the attention output before the residual add, in [0, 1)"),     \
        FG_SPEC_FLOAT("attn_dropout", "0.0", 0, 1,                                               \
                      "dropout on the attention probabilities while training, in [0, 1)"),       \
        FG_SPEC_STR("impl", "auto", impl_names,                                                  \
                    "attention kernel: plain keeps the probabilities [B, H, T, T] for backward; " \
                    "lean (blocked online softmax) keeps O(B H T) and recomputes; auto lets "     \
                    "the host pick"),                                                             \
        FG_SPEC_FLOAT("init_std", "0.02", 0, INFINITY,                                           \
                      "std of the normal init of the weights; the output projection uses "        \
                      "init_std/sqrt(2*num_layers)")

static const fg_param_spec multihead_spec[] = {
    FG_SPEC_REQ_INT("num_heads", 1, 65536, "number of query heads; must divide d_model"),
    FG_SPEC_INT("num_kv_heads", "0", 0, 65536,
                "number of key/value heads, shared by groups of num_heads / num_kv_heads query "
                "heads; must divide num_heads; 0 means num_heads, 1 is multi-query attention"),
    ATTENTION_COMMON_SPEC,
};

static const fg_param_spec singlehead_spec[] = {ATTENTION_COMMON_SPEC};

static const fg_factory_desc factories[] = {
    FG_FACTORY(FG_KIND_ATTENTION, "multihead",
               "Causal multi-head self-attention (GPT-2), with grouped-query heads "
               "(num_kv_heads) and rope or alibi positions: fused qkv projection, scaled "
               "dot-product attention, output projection.",
               multihead_spec, multihead_create),
    FG_FACTORY(FG_KIND_ATTENTION, "singlehead",
               "Causal single-head self-attention: one head as wide as d_model; otherwise as "
               "multihead (fused qkv projection, output projection, rope or alibi).",
               singlehead_spec, singlehead_create),
};

FG_PLUGIN_DEFINE("multihead", "0.2.0", "Causal self-attention: multi-head and single-head",
                 "MIT", factories)
