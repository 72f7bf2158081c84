/* layernorm and rmsnorm over the last dimension. */
#include "autodiff/ops.h"
#include "ops/kernels.h"

static void layernorm_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    fg_tensor *x = e->in[0], *w = e->in[1], *b = e->in[2];
    fgk_layernorm_bwd((which & 1u) ? x->grad : NULL, (which & 2u) ? w->grad : NULL,
                      (b != NULL && (which & 4u)) ? b->grad : NULL, e->out->grad, fg_f32(x),
                      fg_f32(w), e->saved[0], e->saved[1], fg_rows(x), fg_last_dim(x));
    (void)g;
}

/* Checks the weight's size and reserves the scratch the backward kernel will use. */
static int check_norm_weight(fg_graph *g, const char *op, const fg_tensor *x, const fg_tensor *w) {
    if (x->ndim < 1 || w->numel != fg_last_dim(x)) {
        char xs[96];
        fg_graph_fail(g, FG_E_INVALID_ARG, "%s: weight has %lld elements, input %s needs %lld", op,
                      (long long)w->numel, fg_shape_str(x, xs, sizeof xs), (long long)fg_last_dim(x));
        return 0;
    }
    if (fgk_scratch_reserve(fgk_norm_scratch_floats(fg_rows(x), fg_last_dim(x))) != 0) {
        fg_graph_fail(g, FG_E_NOMEM, "%s: out of memory for backward scratch", op);
        return 0;
    }
    return 1;
}

fg_tensor *fg_op_layernorm(fg_graph *g, fg_tensor *x, fg_tensor *w, fg_tensor *bias, double eps) {
    fg_tensor *in[3] = {x, w, bias};
    if (!fg_op_inputs_ok(g, "layernorm", in, bias ? 3 : 2)) return NULL;
    if (!check_norm_weight(g, "layernorm", x, w)) return NULL;
    if (bias != NULL && bias->numel != w->numel)
        return fg_graph_fail(g, FG_E_INVALID_ARG, "layernorm: bias has %lld elements, weight %lld",
                             (long long)bias->numel, (long long)w->numel);
    int64_t N = fg_rows(x), C = fg_last_dim(x);
    fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, x->ndim, x->shape);
    float *mean = fg_graph_buffer(g, N), *rstd = fg_graph_buffer(g, N);
    if (out == NULL || mean == NULL || rstd == NULL) return NULL;
    fgk_layernorm_fwd(fg_f32(out), mean, rstd, fg_f32(x), fg_f32(w), bias ? fg_f32(bias) : NULL,
                      N, C, (float)eps);
    fg_tape_entry *e = fg_graph_record(g, layernorm_backward, out, in, bias ? 3 : 2);
    if (e != NULL) {
        e->saved[0] = mean;
        e->saved[1] = rstd;
    }
    return out;
}

static void rmsnorm_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    fg_tensor *x = e->in[0], *w = e->in[1];
    fgk_rmsnorm_bwd((which & 1u) ? x->grad : NULL, (which & 2u) ? w->grad : NULL, e->out->grad,
                    fg_f32(x), fg_f32(w), e->saved[0], fg_rows(x), fg_last_dim(x));
    (void)g;
}

fg_tensor *fg_op_rmsnorm(fg_graph *g, fg_tensor *x, fg_tensor *w, double eps) {
    fg_tensor *in[2] = {x, w};
    if (!fg_op_inputs_ok(g, "rmsnorm", in, 2)) return NULL;
    if (!check_norm_weight(g, "rmsnorm", x, w)) return NULL;
    int64_t N = fg_rows(x), C = fg_last_dim(x);
    fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, x->ndim, x->shape);
    float *rstd = fg_graph_buffer(g, N);
    if (out == NULL || rstd == NULL) return NULL;
    fgk_rmsnorm_fwd(fg_f32(out), rstd, fg_f32(x), fg_f32(w), N, C, (float)eps);
    fg_tape_entry *e = fg_graph_record(g, rmsnorm_backward, out, in, 2);
    if (e != NULL) e->saved[0] = rstd;
    return out;
}
