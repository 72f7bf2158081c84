/* The decoder-only language model: token embeddings plus absolute positions (learned,
 * sinusoidal or none), a stack of blocks, a final norm, and a vocabulary projection tied
 * to the token embedding unless tie_embeddings is false. Parameter names follow GPT-2:
 * wte.weight, wpe.weight (learned positions only), blocks.<i>..., ln_f...,
 * lm_head.weight (untied only). Each block is created with its index in
 * fg_create_args.layer_index, and passes it on to its sub-layers, so layers may differ
 * by depth. */
#include "lm_internal.h"

#include "codegen_common.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct causal_lm {
    const fg_model_vtbl *vt;
    int64_t vocab_size, d_model, num_layers, max_seq_len;
    lm_positional positional;
    double embedding_scale; /* multiplies the token embeddings (not the tied output) */
    int32_t tied;
    fg_tensor *wte, *wpe, *lm_head; /* wpe NULL without learned positions; lm_head when untied */
    float *sinusoids;               /* [max_seq_len, C] with sinusoidal positions, else NULL */
    lm_layer *blocks;               /* num_layers entries; objects owned by the host */
    lm_layer ln_f;
} causal_lm;

/* Token ids index the embedding table: check them here so a bad id is reported with
 * its position instead of reading outside the table. */
static fg_status check_ids(const causal_lm *m, fg_tensor *t, const char *what, int allow_neg,
                           fg_error *err) {
    const int32_t *ids = fg_api->tensor_data(t);
    const int64_t n = fg_api->tensor_numel(t), T = fg_api->tensor_dim(t, 1);
    if (ids == NULL) {
        fg_api->error_set(err, FG_E_INVALID_ARG, "causal_lm: %s tensor has no data", what);
        return FG_E_INVALID_ARG;
    }
    for (int64_t i = 0; i < n; i++) {
        if (ids[i] >= m->vocab_size || (ids[i] < 0 && !allow_neg)) {
            fg_api->error_set(err, FG_E_RANGE,
                              "causal_lm: %s id %d at [%lld, %lld] is outside the vocabulary "
                              "[0, %lld)",
                              what, (int)ids[i], (long long)(i / T), (long long)(i % T),
                              (long long)m->vocab_size);
            return FG_E_RANGE;
        }
    }
    return FG_OK;
}

/* pos0: positions before this forward's tokens (a KV cache's length), graph_position. */
static fg_status check_inputs(const causal_lm *m, fg_tensor *tokens, fg_tensor *targets,
                              int64_t pos0, fg_error *err) {
    if (tokens == NULL || fg_api->tensor_dtype(tokens) != FG_DTYPE_I32 ||
        fg_api->tensor_ndim(tokens) != 2) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "causal_lm: tokens must be an int32 [B, T] tensor");
        return FG_E_INVALID_ARG;
    }
    const int64_t B = fg_api->tensor_dim(tokens, 0), T = fg_api->tensor_dim(tokens, 1);
    if (pos0 + T > m->max_seq_len) {
        fg_api->error_set(err, FG_E_RANGE,
                          "causal_lm: sequence length %lld (after %lld cached positions) exceeds "
                          "max_seq_len %lld",
                          (long long)T, (long long)pos0, (long long)m->max_seq_len);
        return FG_E_RANGE;
    }
    if (B < 1 || T < 1) {
        fg_api->error_set(err, FG_E_INVALID_ARG, "causal_lm: empty batch [%lld, %lld]",
                          (long long)B, (long long)T);
        return FG_E_INVALID_ARG;
    }
    fg_status st = check_ids(m, tokens, "token", 0, err);
    if (st != FG_OK || targets == NULL) return st;
    if (fg_api->tensor_dtype(targets) != FG_DTYPE_I32 || fg_api->tensor_ndim(targets) != 2 ||
        fg_api->tensor_dim(targets, 0) != B || fg_api->tensor_dim(targets, 1) != T) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "causal_lm: targets must be an int32 [%lld, %lld] tensor like tokens",
                          (long long)B, (long long)T);
        return FG_E_INVALID_ARG;
    }
    /* negative targets are allowed: cross-entropy ignores them (padding) */
    return check_ids(m, targets, "target", 1, err);
}

static fg_status lm_forward(void *self, fg_graph *g, fg_tensor *tokens, fg_tensor *targets,
                            fg_tensor **logits, fg_tensor **loss, fg_error *err) {
    const causal_lm *m = self;
    const int64_t pos0 = fg_api->graph_position(g);
    fg_status st = check_inputs(m, tokens, targets, pos0, err);
    if (st != FG_OK) return st;
    fg_tensor *x = fg_api->op_embedding(g, tokens, m->wte);
    if (m->embedding_scale != 1.0) x = fg_api->op_scale(g, x, m->embedding_scale);
    x = lm_add_positions(g, x, m->positional, m->wpe, m->sinusoids, pos0);
    if ((st = fg_api->graph_status(g, err)) != FG_OK) return st;
    if (x == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "causal_lm: could not allocate the embeddings");
        return FG_E_NOMEM;
    }
    for (int64_t i = 0; i < m->num_layers; i++) {
        if ((st = lm_layer_forward(&m->blocks[i], g, x, &x, err)) != FG_OK) {
            lm_error_prefix(err, "causal_lm: blocks.%lld", (long long)i);
            return st;
        }
    }
    if ((st = lm_layer_forward(&m->ln_f, g, x, &x, err)) != FG_OK) {
        lm_error_prefix(err, "causal_lm: ln_f");
        return st;
    }
    fg_tensor *out = fg_api->op_linear(g, x, m->tied ? m->wte : m->lm_head, NULL);
    fg_tensor *l = targets != NULL ? fg_api->op_cross_entropy(g, out, targets) : NULL;
    if ((st = fg_api->graph_status(g, err)) != FG_OK) return st;
    if (out == NULL || (targets != NULL && l == NULL)) {
        fg_api->error_set(err, FG_E_INTERNAL, "causal_lm: forward produced no output");
        return FG_E_INTERNAL;
    }
    if (logits != NULL) *logits = out;
    if (loss != NULL) *loss = l;
    return FG_OK;
}

/* The forward above as C, for one sequence of T tokens (no loss). Each block becomes a
 * function of its own; the residual stream alternates between two [T, C] arrays. */
static fg_status lm_emit_code(const void *self, fg_codegen *cg, fg_error *err) {
    const causal_lm *m = self;
    const char *wte = code_tensor(cg, "causal_lm", m->wte, err);
    const char *wpe = code_tensor(cg, "causal_lm", m->wpe, err);
    const char *head = m->tied ? wte : code_tensor(cg, "causal_lm", m->lm_head, err);
    if (wte == NULL || wpe == NULL || head == NULL) return FG_E_NOT_FOUND;
    const long long C = (long long)m->d_model;
    fg_api->code_printf(cg,
                        "    /* token embeddings: the residual stream, kept in x and y in turn */\n"
                        "    float *x = fgc_alloc((long)T * %lld);\n"
                        "    float *y = fgc_alloc((long)T * %lld);\n"
                        "    fgc_embedding(x, tokens, %s, T, %lld);\n",
                        C, C, wte, C);
    if (m->embedding_scale != 1.0)
        fg_api->code_printf(cg, "    fgc_scale(x, x, %s, (long)T * %lld); /* embedding_scale */\n",
                            code_float(m->embedding_scale).s, C);
    lm_code_positions(cg, "x", m->positional, wpe, m->max_seq_len, C);
    fg_status st;
    for (int64_t i = 0; i < m->num_layers; i++)
        if ((st = fg_api->code_call(cg, m->blocks[i].obj, i % 2 ? "y" : "x", i % 2 ? "x" : "y",
                                    err)) != FG_OK)
            return st;
    /* after an odd number of blocks the stream is in y */
    const char *in = m->num_layers % 2 ? "y" : "x", *normed = m->num_layers % 2 ? "x" : "y";
    if ((st = fg_api->code_call(cg, m->ln_f.obj, in, normed, err)) != FG_OK) return st;
    fg_api->code_printf(cg,
                        "    /* output projection%s */\n"
                        "    fgc_linear(logits, %s, %s, NULL, T, %lld, %lld);\n"
                        "    fgc_free(y);\n"
                        "    fgc_free(x);\n",
                        m->tied ? ", tied to the token embedding" : " (lm_head)", normed, head, C,
                        (long long)m->vocab_size);
    return FG_OK;
}

static int64_t lm_vocab_size(const void *self) { return ((const causal_lm *)self)->vocab_size; }
static int64_t lm_max_seq_len(const void *self) { return ((const causal_lm *)self)->max_seq_len; }

/* Blocks and ln_f came from partials and belong to the host. */
static void lm_destroy(void *self) {
    causal_lm *m = self;
    if (m == NULL) return;
    fg_api->free(m->blocks);
    fg_api->free(m->sinusoids);
    fg_api->free(m);
}

static const fg_model_vtbl causal_lm_vtbl = {
    .base = {sizeof(fg_model_vtbl), FG_KIND_MODEL, lm_destroy},
    .forward = lm_forward,
    .vocab_size = lm_vocab_size,
    .max_seq_len = lm_max_seq_len,
    .emit_code = lm_emit_code,
};

typedef struct lm_config {
    const fg_partial *block, *final_norm;
    double init_std;
} lm_config;

static fg_status read_config(causal_lm *m, const fg_params *params, lm_config *cfg, fg_error *err) {
    const char *positional = NULL;
    fg_status st;
    if ((st = fg_api->param_int(params, "vocab_size", &m->vocab_size, err)) != FG_OK ||
        (st = fg_api->param_int(params, "d_model", &m->d_model, err)) != FG_OK ||
        (st = fg_api->param_int(params, "num_layers", &m->num_layers, err)) != FG_OK ||
        (st = fg_api->param_int(params, "max_seq_len", &m->max_seq_len, err)) != FG_OK ||
        (st = lm_param_partial("causal_lm", params, "block", &cfg->block, err)) != FG_OK ||
        (st = lm_param_partial("causal_lm", params, "final_norm", &cfg->final_norm, err)) !=
            FG_OK ||
        (st = fg_api->param_str(params, "positional", &positional, err)) != FG_OK ||
        (st = fg_api->param_bool(params, "tie_embeddings", &m->tied, err)) != FG_OK ||
        (st = fg_api->param_float(params, "embedding_scale", &m->embedding_scale, err)) != FG_OK ||
        (st = fg_api->param_float(params, "init_std", &cfg->init_std, err)) != FG_OK)
        return st;
    if (!(m->embedding_scale > 0.0 && isfinite(m->embedding_scale))) {
        fg_api->error_set(err, FG_E_RANGE, "causal_lm: embedding_scale %g must be finite and > 0",
                          m->embedding_scale);
        return FG_E_RANGE;
    }
    if (m->vocab_size < 2 || m->vocab_size > INT32_MAX || m->d_model < 1 || m->num_layers < 1 ||
        m->max_seq_len < 1 || m->max_seq_len > INT32_MAX) {
        fg_api->error_set(err, FG_E_RANGE,
                          "causal_lm: need vocab_size >= 2, d_model >= 1, num_layers >= 1, "
                          "max_seq_len >= 1; got %lld, %lld, %lld, %lld",
                          (long long)m->vocab_size, (long long)m->d_model, (long long)m->num_layers,
                          (long long)m->max_seq_len);
        return FG_E_RANGE;
    }
    for (int32_t i = 0; positional != NULL && lm_positional_names[i] != NULL; i++)
        if (strcmp(positional, lm_positional_names[i]) == 0) {
            m->positional = (lm_positional)i;
            return FG_OK;
        }
    fg_api->error_set(err, FG_E_INVALID_ARG,
                      "causal_lm: positional '%s' is not one of: learned, sinusoidal, none",
                      positional != NULL ? positional : "(null)");
    return FG_E_INVALID_ARG;
}

static fg_status build(causal_lm *m, fg_scope *scope, const lm_config *cfg, fg_error *err) {
    const int64_t V = m->vocab_size, C = m->d_model;
    const int64_t s_wte[2] = {V, C}, s_wpe[2] = {m->max_seq_len, C};
    fg_status st;
    if ((st = fg_api->param_new(scope, "wte.weight", 2, s_wte, FG_INIT_NORMAL, cfg->init_std,
                                &m->wte, err)) != FG_OK)
        return st;
    if (m->positional == LM_POS_LEARNED &&
        (st = fg_api->param_new(scope, "wpe.weight", 2, s_wpe, FG_INIT_NORMAL, cfg->init_std,
                                &m->wpe, err)) != FG_OK)
        return st;
    if (m->positional == LM_POS_SINUSOIDAL &&
        (m->sinusoids = lm_sinusoid_table(m->max_seq_len, C)) == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "causal_lm: out of memory for %lld x %lld sinusoids",
                          (long long)m->max_seq_len, (long long)C);
        return FG_E_NOMEM;
    }
    m->blocks = fg_api->alloc(sizeof(lm_layer) * (size_t)m->num_layers);
    if (m->blocks == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "causal_lm: out of memory for %lld blocks",
                          (long long)m->num_layers);
        return FG_E_NOMEM;
    }
    memset(m->blocks, 0, sizeof(lm_layer) * (size_t)m->num_layers);
    fg_create_args args;
    memset(&args, 0, sizeof(args));
    args.struct_size = sizeof(args);
    args.scope = scope;
    args.d_model = C;
    args.max_seq_len = m->max_seq_len;
    args.num_layers = m->num_layers;
    for (int64_t i = 0; i < m->num_layers; i++) {
        char name[32];
        snprintf(name, sizeof(name), "blocks.%lld", (long long)i);
        args.layer_index = (int32_t)i;
        if ((st = lm_layer_create("causal_lm", cfg->block, FG_KIND_BLOCK, name, &args,
                                  &m->blocks[i], err)) != FG_OK)
            return st;
    }
    args.layer_index = -1; /* the final norm belongs to no block */
    if ((st = lm_layer_create("causal_lm", cfg->final_norm, FG_KIND_NORM, "ln_f", &args, &m->ln_f,
                              err)) != FG_OK)
        return st;
    if (!m->tied && (st = fg_api->param_new(scope, "lm_head.weight", 2, s_wte, FG_INIT_NORMAL,
                                            cfg->init_std, &m->lm_head, err)) != FG_OK)
        return st;
    return FG_OK;
}

fg_status lm_causal_lm_create(const fg_params *params, const fg_create_args *args, void **out,
                              fg_error *err) {
    if (args == NULL || args->struct_size < sizeof(fg_create_args) || args->scope == NULL) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "causal_lm: the host must pass a parameter scope to a model");
        return FG_E_INVALID_ARG;
    }
    causal_lm *m = fg_api->alloc(sizeof(causal_lm));
    if (m == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "causal_lm: out of memory");
        return FG_E_NOMEM;
    }
    memset(m, 0, sizeof(*m));
    m->vt = &causal_lm_vtbl;
    lm_config cfg = {NULL, NULL, 0.02};
    fg_status st = read_config(m, params, &cfg, err);
    if (st == FG_OK) st = build(m, args->scope, &cfg, err);
    if (st != FG_OK) {
        lm_destroy(m);
        return st;
    }
    *out = m;
    return FG_OK;
}
