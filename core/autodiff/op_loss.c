/* Mean cross-entropy of logits [..., V] against int32 targets [...]. */
#include "autodiff/ops.h"
#include "ops/kernels.h"

static void cross_entropy_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    fg_tensor *logits = e->in[0], *targets = e->in[1];
    fgk_cross_entropy_bwd(logits->grad, fg_f32(logits), (const int32_t *)targets->data,
                          e->saved[0], e->out->grad[0], e->attr[0], fg_rows(logits),
                          fg_last_dim(logits));
    (void)g;
    (void)which;
}

fg_tensor *fg_op_cross_entropy(fg_graph *g, fg_tensor *logits, fg_tensor *targets) {
    fg_tensor *in[2] = {logits, targets};
    if (targets == NULL) return fg_op_inputs_ok(g, "cross_entropy", in, 2), NULL;
    if (!fg_op_inputs_ok(g, "cross_entropy", &logits, 1)) return NULL;
    if (targets->dtype != FG_DTYPE_I32)
        return fg_graph_fail(g, FG_E_TYPE, "cross_entropy: targets must be I32, got %s",
                             fg_dtype_name(targets->dtype));
    int64_t N = fg_rows(logits), V = fg_last_dim(logits);
    if (targets->numel != N) {
        char ls[96], ts[96];
        return fg_graph_fail(g, FG_E_INVALID_ARG,
                             "cross_entropy: %s targets for %s logits (one per row expected)",
                             fg_shape_str(targets, ts, sizeof ts), fg_shape_str(logits, ls, sizeof ls));
    }
    const int32_t *tv = targets->data;
    for (int64_t i = 0; i < N; i++)
        if (tv[i] >= V)
            return fg_graph_fail(g, FG_E_RANGE,
                                 "cross_entropy: target %d at row %lld is not below vocab %lld",
                                 (int)tv[i], (long long)i, (long long)V);
    fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, 0, NULL);
    float *lse = fg_graph_buffer(g, N);
    if (out == NULL || lse == NULL) return NULL;
    int64_t n_valid = 0;
    fg_f32(out)[0] = fgk_cross_entropy_fwd(lse, fg_f32(logits), tv, N, V, &n_valid);
    if (n_valid == 0) return fg_graph_fail(g, FG_E_INVALID_ARG, "cross_entropy: every target is ignored (< 0)");
    fg_tape_entry *e = fg_graph_record(g, cross_entropy_backward, out, in, 2);
    if (e != NULL) {
        e->saved[0] = lse;
        e->attr[0] = n_valid;
    }
    return out;
}
