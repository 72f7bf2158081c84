/* Private to the causal_lm plugin: the pieces the model and the blocks share. */
#ifndef FG_PLUGIN_CAUSAL_LM_INTERNAL_H
#define FG_PLUGIN_CAUSAL_LM_INTERNAL_H

#include <forgather/plugin.h>

/* A layer built from a partial: the host owns `obj`; we keep its vtable for calls. */
typedef struct lm_layer {
    void *obj;
    const fg_layer_vtbl *vt;
} lm_layer;

/* Creates a layer of `kind` from `partial` in the child scope `scope_name` of
 * base->scope, passing the rest of `base` through (layer index, widths, depth). */
fg_status lm_layer_create(const char *who, const fg_partial *partial, int32_t kind,
                          const char *scope_name, const fg_create_args *base, lm_layer *out,
                          fg_error *err);

static inline fg_status lm_layer_forward(const lm_layer *l, fg_graph *g, fg_tensor *x,
                                         fg_tensor **out, fg_error *err) {
    return l->vt->forward(l->obj, g, x, out, err);
}

/* Rewrites err->msg as "<prefix>: <old message>", keeping the code, so an error deep in
 * a nested layer says where in the model it happened. */
void lm_error_prefix(fg_error *err, const char *fmt, ...) FG_PRINTF(2, 3);

/* Reads a required (or defaulted) partial parameter; the error names owner and key. */
fg_status lm_param_partial(const char *who, const fg_params *params, const char *key,
                           const fg_partial **out, fg_error *err);

/* Absolute positional encodings of the model (rotary and ALiBi live in attention). */
typedef enum lm_positional { LM_POS_LEARNED, LM_POS_SINUSOIDAL, LM_POS_NONE } lm_positional;
/* In enum order; the choices of causal_lm's `positional`. */
extern const char *const lm_positional_names[];

/* Vaswani et al. 2017: PE[pos, 2i] = sin(pos / 10000^(2i/C)), PE[pos, 2i+1] = cos(same),
 * for pos < rows, computed in double once per model (fg_api->alloc'd; NULL when out of
 * memory). A constant, not a parameter. */
float *lm_sinusoid_table(int64_t rows, int64_t C);

/* x [B, T, C] plus the encodings of positions pos0 .. pos0+T-1 (the caller checks pos0 + T
 * against max_seq_len): rows of wpe [max_seq_len, C] (learned) or of the sinusoid table
 * (sinusoidal); x itself for none. NULL on failure, recorded in g. */
fg_tensor *lm_add_positions(fg_graph *g, fg_tensor *x, lm_positional kind, fg_tensor *wpe,
                            const float *sinusoids, int64_t pos0);

/* The same in generated code: adds to the [T, C] array `x` the encodings of positions
 * 0 .. T-1; wpe is the C expression of the learned table (learned positions only). */
void lm_code_positions(fg_codegen *cg, const char *x, lm_positional kind, const char *wpe,
                       int64_t max_seq_len, int64_t C);

fg_status lm_causal_lm_create(const fg_params *params, const fg_create_args *args, void **out,
                              fg_error *err);
fg_status lm_pre_norm_block_create(const fg_params *params, const fg_create_args *args, void **out,
                                   fg_error *err);
fg_status lm_post_norm_block_create(const fg_params *params, const fg_create_args *args, void **out,
                                    fg_error *err);

#endif
