/* Elementwise ops, activations, dropout and reshape. */
#include "autodiff/ops.h"
#include "ops/kernels.h"

#include <string.h>

/* b broadcasts over a when b's shape is a suffix of a's (e.g. [T, C] onto [B, T, C]). */
static int is_suffix_shape(const fg_tensor *a, const fg_tensor *b) {
    if (b->ndim > a->ndim) return 0;
    for (int32_t i = 1; i <= b->ndim; i++)
        if (b->shape[b->ndim - i] != a->shape[a->ndim - i]) return 0;
    return 1;
}

static void add_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    fg_tensor *a = e->in[0], *b = e->in[1];
    const float *dout = e->out->grad;
    if (which & 1u) fgk_acc(a->grad, dout, a->numel);
    if (which & 2u) {
        /* Sum the gradient over the broadcast (leading) dimensions. */
        for (int64_t off = 0; off < a->numel; off += b->numel) fgk_acc(b->grad, dout + off, b->numel);
    }
    (void)g;
}

fg_tensor *fg_op_add(fg_graph *g, fg_tensor *a, fg_tensor *b) {
    fg_tensor *in[2] = {a, b};
    if (!fg_op_inputs_ok(g, "add", in, 2)) return NULL;
    if (!is_suffix_shape(a, b)) {
        char as[96], bs[96];
        return fg_graph_fail(g, FG_E_INVALID_ARG,
                             "add: shapes %s and %s differ (the second may only broadcast over "
                             "leading dimensions)",
                             fg_shape_str(a, as, sizeof as), fg_shape_str(b, bs, sizeof bs));
    }
    fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, a->ndim, a->shape);
    if (out == NULL) return NULL;
    if (b->numel == a->numel) {
        fgk_add(fg_f32(out), fg_f32(a), fg_f32(b), a->numel);
    } else {
        for (int64_t off = 0; off < a->numel; off += b->numel)
            fgk_add(fg_f32(out) + off, fg_f32(a) + off, fg_f32(b), b->numel);
    }
    fg_graph_record(g, add_backward, out, in, 2);
    return out;
}

static void mul_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    fg_tensor *a = e->in[0], *b = e->in[1];
    if (which & 1u) fgk_acc_mul(a->grad, e->out->grad, fg_f32(b), a->numel);
    if (which & 2u) fgk_acc_mul(b->grad, e->out->grad, fg_f32(a), a->numel);
    (void)g;
}

fg_tensor *fg_op_mul(fg_graph *g, fg_tensor *a, fg_tensor *b) {
    fg_tensor *in[2] = {a, b};
    if (!fg_op_inputs_ok(g, "mul", in, 2)) return NULL;
    if (a->ndim != b->ndim || memcmp(a->shape, b->shape, sizeof a->shape) != 0) {
        char as[96], bs[96];
        return fg_graph_fail(g, FG_E_INVALID_ARG, "mul: shapes %s and %s differ",
                             fg_shape_str(a, as, sizeof as), fg_shape_str(b, bs, sizeof bs));
    }
    fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, a->ndim, a->shape);
    if (out == NULL) return NULL;
    fgk_mul(fg_f32(out), fg_f32(a), fg_f32(b), a->numel);
    fg_graph_record(g, mul_backward, out, in, 2);
    return out;
}

static void scale_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    fgk_acc_scale(e->in[0]->grad, e->out->grad, (float)e->scalar, e->out->numel);
    (void)g;
    (void)which;
}

fg_tensor *fg_op_scale(fg_graph *g, fg_tensor *a, double s) {
    if (!fg_op_inputs_ok(g, "scale", &a, 1)) return NULL;
    fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, a->ndim, a->shape);
    if (out == NULL) return NULL;
    fgk_scale(fg_f32(out), fg_f32(a), (float)s, a->numel);
    fg_tape_entry *e = fg_graph_record(g, scale_backward, out, &a, 1);
    if (e != NULL) e->scalar = s;
    return out;
}

/* One pattern for the three activations: forward kernel, backward kernel from the input. */
#define DEFINE_ACTIVATION(NAME)                                                            \
    static void NAME##_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {    \
        fgk_##NAME##_bwd(e->in[0]->grad, fg_f32(e->in[0]), e->out->grad, e->out->numel);   \
        (void)g;                                                                           \
        (void)which;                                                                       \
    }                                                                                      \
    fg_tensor *fg_op_##NAME(fg_graph *g, fg_tensor *x) {                                   \
        if (!fg_op_inputs_ok(g, #NAME, &x, 1)) return NULL;                                \
        fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, x->ndim, x->shape);              \
        if (out == NULL) return NULL;                                                      \
        fgk_##NAME##_fwd(fg_f32(out), fg_f32(x), x->numel);                                \
        fg_graph_record(g, NAME##_backward, out, &x, 1);                                   \
        return out;                                                                        \
    }

DEFINE_ACTIVATION(gelu)
DEFINE_ACTIVATION(silu)
DEFINE_ACTIVATION(relu)

static void dropout_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    fgk_acc_mul(e->in[0]->grad, e->out->grad, e->saved[0], e->out->numel);
    (void)g;
    (void)which;
}

fg_tensor *fg_op_dropout(fg_graph *g, fg_tensor *x, double p) {
    if (!fg_op_inputs_ok(g, "dropout", &x, 1)) return NULL;
    if (!(p >= 0.0 && p < 1.0)) return fg_graph_fail(g, FG_E_RANGE, "dropout: p=%g is not in [0, 1)", p);
    g->op_counter++;
    if (!g->training || p == 0.0) return x; /* identity: no copy, no tape entry */
    fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, x->ndim, x->shape);
    float *mask = fg_graph_buffer(g, x->numel);
    if (out == NULL || mask == NULL) return NULL;
    uint64_t seed = g->seed * 0x9E3779B97F4A7C15ull + g->op_counter;
    fgk_dropout_fwd(fg_f32(out), mask, fg_f32(x), (float)p, seed, x->numel);
    fg_tape_entry *e = fg_graph_record(g, dropout_backward, out, &x, 1);
    if (e != NULL) e->saved[0] = mask;
    return out;
}

static void reshape_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    fgk_acc(e->in[0]->grad, e->out->grad, e->out->numel);
    (void)g;
    (void)which;
}

fg_tensor *fg_op_reshape(fg_graph *g, fg_tensor *x, int32_t ndim, const int64_t *shape) {
    if (x == NULL || g == NULL || g->status != FG_OK) return fg_op_inputs_ok(g, "reshape", &x, 1), NULL;
    fg_tensor *out = fg_arena_alloc(&g->arena, sizeof *out);
    if (out == NULL) return fg_graph_fail(g, FG_E_NOMEM, "reshape: out of memory");
    *out = *x;
    out->grad = NULL;
    out->flags &= ~(FG_T_PARAM | FG_T_NEEDS_GRAD);
    out->name = "";
    char xs[96];
    if (fg_tensor_set_shape(out, ndim, shape) != 0 || out->numel != x->numel)
        return fg_graph_fail(g, FG_E_INVALID_ARG, "reshape: cannot view %s as a rank-%d shape of %lld elements",
                             fg_shape_str(x, xs, sizeof xs), ndim, (long long)out->numel);
    fg_graph_record(g, reshape_backward, out, &x, 1);
    return out;
}
