/* Transformer blocks: a residual attention sub-layer then a residual feed-forward
 * sub-layer, with the norm before each (pre_norm_block, GPT-2) or after each residual
 * add (post_norm_block, the original Transformer). Children live in the block's scope as
 * ln_1, attn, ln_2, ff (so blocks.3.attn.qkv.weight), created in GPT-2's order, each with
 * the block's fg_create_args (layer_index included: sub-layers may differ by depth). */
#include "lm_internal.h"

#include "codegen_common.h"
#include "layer_common.h"

#include <string.h>

typedef struct block {
    const fg_layer_vtbl *vt;
    const char *who;
    int64_t d_model; /* the generated code's array widths */
    double dropout;  /* on each sub-layer's output, before the residual add */
    lm_layer ln_1, attn, ln_2, ff;
} block;

/* x + dropout(f(x_in)): the residual branch shared by both block forms. */
static fg_status residual(const block *b, fg_graph *g, const lm_layer *f, fg_tensor *x,
                          fg_tensor *x_in, fg_tensor **out, fg_error *err) {
    fg_tensor *h = NULL;
    fg_status st = lm_layer_forward(f, g, x_in, &h, err);
    if (st != FG_OK) return st;
    if (b->dropout > 0.0) h = fg_api->op_dropout(g, h, b->dropout);
    *out = fg_api->op_add(g, x, h);
    return fg_api->graph_status(g, err);
}

static fg_status pre_norm_forward(void *self, fg_graph *g, fg_tensor *x, fg_tensor **out,
                                  fg_error *err) {
    const block *b = self;
    fg_tensor *h = NULL;
    fg_status st;
    if ((st = lm_layer_forward(&b->ln_1, g, x, &h, err)) != FG_OK) return st;
    if ((st = residual(b, g, &b->attn, x, h, &x, err)) != FG_OK) return st;
    if ((st = lm_layer_forward(&b->ln_2, g, x, &h, err)) != FG_OK) return st;
    if ((st = residual(b, g, &b->ff, x, h, &x, err)) != FG_OK) return st;
    *out = x;
    return FG_OK;
}

static fg_status post_norm_forward(void *self, fg_graph *g, fg_tensor *x, fg_tensor **out,
                                   fg_error *err) {
    const block *b = self;
    fg_tensor *h = NULL;
    fg_status st;
    if ((st = residual(b, g, &b->attn, x, x, &h, err)) != FG_OK) return st;
    if ((st = lm_layer_forward(&b->ln_1, g, h, &x, err)) != FG_OK) return st;
    if ((st = residual(b, g, &b->ff, x, x, &h, err)) != FG_OK) return st;
    if ((st = lm_layer_forward(&b->ln_2, g, h, &x, err)) != FG_OK) return st;
    *out = x;
    return FG_OK;
}

/* The two forwards above as C. Each child becomes a function of its own, called through
 * code_call; h holds a sub-layer's input or the residual sum, f a sub-layer's output. */
static fg_status block_emit_code(const block *b, int pre_norm, fg_codegen *cg, fg_error *err) {
    const long n = (long)b->d_model;
    fg_status st;
    fg_api->code_printf(cg,
                        "    float *h = fgc_alloc((long)T * %ld);\n"
                        "    float *f = fgc_alloc((long)T * %ld);\n",
                        n, n);
    code_dropout_note(cg, "on each sub-layer's output", b->dropout);
    if (pre_norm) {
        fg_api->code_printf(cg, "    /* pre-norm: y = x + attn(ln_1(x)) */\n");
        if ((st = fg_api->code_call(cg, b->ln_1.obj, "x", "h", err)) != FG_OK ||
            (st = fg_api->code_call(cg, b->attn.obj, "h", "f", err)) != FG_OK)
            return st;
        fg_api->code_printf(cg,
                            "    fgc_add(y, x, f, (long)T * %ld);\n"
                            "    /* y += ff(ln_2(y)) */\n",
                            n);
        if ((st = fg_api->code_call(cg, b->ln_2.obj, "y", "h", err)) != FG_OK ||
            (st = fg_api->code_call(cg, b->ff.obj, "h", "f", err)) != FG_OK)
            return st;
        fg_api->code_printf(cg, "    fgc_add(y, y, f, (long)T * %ld);\n", n);
    } else {
        fg_api->code_printf(cg, "    /* post-norm: y = ln_1(x + attn(x)) */\n");
        if ((st = fg_api->code_call(cg, b->attn.obj, "x", "f", err)) != FG_OK) return st;
        fg_api->code_printf(cg, "    fgc_add(h, x, f, (long)T * %ld);\n", n);
        if ((st = fg_api->code_call(cg, b->ln_1.obj, "h", "y", err)) != FG_OK) return st;
        fg_api->code_printf(cg, "    /* y = ln_2(y + ff(y)) */\n");
        if ((st = fg_api->code_call(cg, b->ff.obj, "y", "f", err)) != FG_OK) return st;
        fg_api->code_printf(cg, "    fgc_add(h, y, f, (long)T * %ld);\n", n);
        if ((st = fg_api->code_call(cg, b->ln_2.obj, "h", "y", err)) != FG_OK) return st;
    }
    fg_api->code_printf(cg, "    fgc_free(f);\n    fgc_free(h);\n");
    return FG_OK;
}

static fg_status pre_norm_emit_code(const void *self, fg_codegen *cg, fg_error *err) {
    return block_emit_code(self, 1, cg, err);
}

static fg_status post_norm_emit_code(const void *self, fg_codegen *cg, fg_error *err) {
    return block_emit_code(self, 0, cg, err);
}

/* The children belong to the host (created through partials): only free ourselves. */
static void block_destroy(void *self) { fg_api->free(self); }

static const fg_layer_vtbl pre_norm_vtbl = {
    .base = {sizeof(fg_layer_vtbl), FG_KIND_BLOCK, block_destroy},
    .forward = pre_norm_forward,
    .emit_code = pre_norm_emit_code,
};

static const fg_layer_vtbl post_norm_vtbl = {
    .base = {sizeof(fg_layer_vtbl), FG_KIND_BLOCK, block_destroy},
    .forward = post_norm_forward,
    .emit_code = post_norm_emit_code,
};

static fg_status build_children(block *b, const fg_params *params, const fg_create_args *args,
                                fg_error *err) {
    const fg_partial *attn = NULL, *ff = NULL, *norm = NULL;
    fg_status st;
    if ((st = lm_param_partial(b->who, params, "attention", &attn, err)) != FG_OK ||
        (st = lm_param_partial(b->who, params, "feedforward", &ff, err)) != FG_OK ||
        (st = lm_param_partial(b->who, params, "norm", &norm, err)) != FG_OK ||
        (st = fg_api->param_float(params, "dropout", &b->dropout, err)) != FG_OK)
        return st;
    if ((st = layer_check_dropout(b->who, "dropout", b->dropout, err)) != FG_OK) return st;
    if ((st = lm_layer_create(b->who, norm, FG_KIND_NORM, "ln_1", args, &b->ln_1, err)) != FG_OK ||
        (st = lm_layer_create(b->who, attn, FG_KIND_ATTENTION, "attn", args, &b->attn, err)) !=
            FG_OK ||
        (st = lm_layer_create(b->who, norm, FG_KIND_NORM, "ln_2", args, &b->ln_2, err)) != FG_OK ||
        (st = lm_layer_create(b->who, ff, FG_KIND_FEEDFORWARD, "ff", args, &b->ff, err)) != FG_OK)
        return st;
    return FG_OK;
}

static fg_status block_create(const char *who, const fg_layer_vtbl *vt, const fg_params *params,
                              const fg_create_args *args, void **out, fg_error *err) {
    fg_status st = layer_check_args(who, args, err);
    if (st != FG_OK) return st;
    block *b = fg_api->alloc(sizeof(block));
    if (b == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "%s: out of memory", who);
        return FG_E_NOMEM;
    }
    memset(b, 0, sizeof(*b));
    b->vt = vt;
    b->who = who;
    b->d_model = args->d_model;
    st = build_children(b, params, args, err);
    if (st != FG_OK) {
        block_destroy(b);
        return st;
    }
    *out = b;
    return FG_OK;
}

fg_status lm_pre_norm_block_create(const fg_params *params, const fg_create_args *args, void **out,
                                   fg_error *err) {
    return block_create("pre_norm_block", &pre_norm_vtbl, params, args, out, err);
}

fg_status lm_post_norm_block_create(const fg_params *params, const fg_create_args *args, void **out,
                                    fg_error *err) {
    return block_create("post_norm_block", &post_norm_vtbl, params, args, out, err);
}
