/* linear and embedding: the ops that read weight matrices. Their backward is split
 * naturally: the input gradient (B pass) and the weight gradient (W pass). */
#include "autodiff/ops.h"
#include "ops/kernels.h"

#include <stdint.h>
#include <string.h>

static void linear_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    fg_tensor *x = e->in[0], *w = e->in[1], *b = e->in[2];
    int64_t N = fg_rows(x), IN = fg_last_dim(x), OUT = w->shape[0];
    const float *dout = e->out->grad;
    if (which & 1u) fgk_linear_bwd_input(x->grad, dout, fg_f32(w), N, IN, OUT);
    float *dw = (which & 2u) ? w->grad : NULL;
    float *db = (b != NULL && (which & 4u)) ? b->grad : NULL;
    if (dw != NULL || db != NULL) fgk_linear_bwd_weight(dw, db, dout, fg_f32(x), N, IN, OUT);
    (void)g;
}

fg_tensor *fg_op_linear(fg_graph *g, fg_tensor *x, fg_tensor *w, fg_tensor *bias) {
    fg_tensor *in[3] = {x, w, bias};
    if (!fg_op_inputs_ok(g, "linear", in, bias ? 3 : 2)) return NULL;
    char xs[96], ws[96];
    if (w->ndim != 2 || x->ndim < 1 || fg_last_dim(x) != w->shape[1])
        return fg_graph_fail(g, FG_E_INVALID_ARG,
                             "linear: input %s does not match weight %s (expects [out, in] "
                             "with in = the input's last dimension)",
                             fg_shape_str(x, xs, sizeof xs), fg_shape_str(w, ws, sizeof ws));
    if (bias != NULL && (bias->numel != w->shape[0]))
        return fg_graph_fail(g, FG_E_INVALID_ARG, "linear: bias has %lld elements, weight %s has %lld outputs",
                             (long long)bias->numel, fg_shape_str(w, ws, sizeof ws),
                             (long long)w->shape[0]);
    if (fg_rows(x) > INT32_MAX || w->shape[0] > INT32_MAX || w->shape[1] > INT32_MAX)
        return fg_graph_fail(g, FG_E_RANGE, "linear: %s x %s exceeds the BLAS index range (2^31 - 1)",
                             fg_shape_str(x, xs, sizeof xs), fg_shape_str(w, ws, sizeof ws));
    int64_t shape[FG_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = w->shape[0];
    fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, x->ndim, shape);
    if (out == NULL) return NULL;
    fgk_linear_fwd(fg_f32(out), fg_f32(x), fg_f32(w), bias ? fg_f32(bias) : NULL, fg_rows(x),
                   fg_last_dim(x), w->shape[0]);
    fg_graph_record(g, linear_backward, out, in, bias ? 3 : 2);
    return out;
}

static void embedding_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    fg_tensor *ids = e->in[0], *table = e->in[1];
    if (which & 2u)
        fgk_embedding_bwd(table->grad, e->out->grad, (const int32_t *)ids->data, ids->numel,
                          table->shape[1]);
    (void)g;
}

fg_tensor *fg_op_embedding(fg_graph *g, fg_tensor *ids, fg_tensor *table) {
    fg_tensor *in[2] = {ids, table};
    if (ids == NULL) return fg_op_inputs_ok(g, "embedding", in, 1), NULL;
    if (!fg_op_inputs_ok(g, "embedding", &in[1], 1)) return NULL;
    if (ids->dtype != FG_DTYPE_I32)
        return fg_graph_fail(g, FG_E_TYPE, "embedding: ids must be I32, got %s",
                             fg_dtype_name(ids->dtype));
    if (table->ndim != 2)
        return fg_graph_fail(g, FG_E_INVALID_ARG, "embedding: table must be [rows, dim]");
    if (ids->ndim + 1 > FG_MAX_DIMS)
        return fg_graph_fail(g, FG_E_INVALID_ARG, "embedding: ids have too many dimensions");
    const int32_t *idv = ids->data;
    for (int64_t i = 0; i < ids->numel; i++)
        if (idv[i] < 0 || idv[i] >= table->shape[0])
            return fg_graph_fail(g, FG_E_RANGE,
                                 "embedding: id %d at position %lld is outside [0, %lld)",
                                 (int)idv[i], (long long)i, (long long)table->shape[0]);
    int64_t shape[FG_MAX_DIMS];
    memcpy(shape, ids->shape, sizeof shape);
    shape[ids->ndim] = table->shape[1];
    fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, ids->ndim + 1, shape);
    if (out == NULL) return NULL;
    fgk_embedding_fwd(fg_f32(out), idv, fg_f32(table), ids->numel, table->shape[1]);
    fg_graph_record(g, embedding_backward, out, in, 2);
    return out;
}
