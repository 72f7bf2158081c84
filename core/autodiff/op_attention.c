/* Attention on a fused q/k/v projection, and a plain softmax. */
#include "autodiff/ops.h"
#include "ops/kernels.h"

static void attention_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    fg_tensor *qkv = e->in[0];
    int64_t B = qkv->shape[0], T = qkv->shape[1], C = qkv->shape[2] / 3;
    fgk_attention_bwd(qkv->grad, e->out->grad, fg_f32(qkv), e->saved[0], B, T, C, e->attr[0],
                      (int)(e->attr[1] & FG_ATTN_CAUSAL));
    (void)g;
    (void)which;
}

fg_tensor *fg_op_attention_qkv(fg_graph *g, fg_tensor *qkv, int32_t num_heads, uint32_t flags) {
    if (!fg_op_inputs_ok(g, "attention", &qkv, 1)) return NULL;
    char s[96];
    if (qkv->ndim != 3 || qkv->shape[2] % 3 != 0)
        return fg_graph_fail(g, FG_E_INVALID_ARG,
                             "attention: qkv must be [B, T, 3*C], got %s", fg_shape_str(qkv, s, sizeof s));
    int64_t B = qkv->shape[0], T = qkv->shape[1], C = qkv->shape[2] / 3;
    if (num_heads < 1 || C % num_heads != 0)
        return fg_graph_fail(g, FG_E_INVALID_ARG,
                             "attention: width %lld is not divisible by num_heads %d", (long long)C,
                             (int)num_heads);
    int64_t shape[3] = {B, T, C};
    fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, 3, shape);
    float *probs = fg_graph_buffer(g, B * num_heads * T * T);
    if (out == NULL || probs == NULL) return NULL;
    if (fgk_scratch_reserve(fgk_attention_scratch_floats(T, C, num_heads)) != 0)
        return fg_graph_fail(g, FG_E_NOMEM, "attention: out of memory for per-thread scratch");
    fgk_attention_fwd(fg_f32(out), probs, fg_f32(qkv), B, T, C, num_heads,
                      (int)(flags & FG_ATTN_CAUSAL));
    fg_tape_entry *e = fg_graph_record(g, attention_backward, out, &qkv, 1);
    if (e != NULL) {
        e->saved[0] = probs;
        e->attr[0] = num_heads;
        e->attr[1] = flags;
    }
    return out;
}

static void softmax_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    fgk_softmax_bwd(e->in[0]->grad, fg_f32(e->out), e->out->grad, fg_rows(e->out),
                    fg_last_dim(e->out));
    (void)g;
    (void)which;
}

fg_tensor *fg_op_softmax(fg_graph *g, fg_tensor *x) {
    if (!fg_op_inputs_ok(g, "softmax", &x, 1)) return NULL;
    fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, x->ndim, x->shape);
    if (out == NULL) return NULL;
    fgk_softmax_fwd(fg_f32(out), fg_f32(x), fg_rows(x), fg_last_dim(x));
    fg_graph_record(g, softmax_backward, out, &x, 1);
    return out;
}

/* Placeholder until the general attention kernels land: packed qkv with H == Hkv only. */
fg_tensor *fg_op_attention(fg_graph *g, fg_tensor *qkv, const fg_attention_desc *desc) {
    if (desc == NULL || (desc->num_kv_heads != 0 && desc->num_kv_heads != desc->num_heads) ||
        (desc->flags & ~FG_ATTN_CAUSAL) != 0 || desc->dropout != 0.0 || desc->scale != 0.0)
        return fg_graph_fail(g, FG_E_UNSUPPORTED, "attention: not implemented yet");
    return fg_op_attention_qkv(g, qkv, desc->num_heads, desc->flags);
}
