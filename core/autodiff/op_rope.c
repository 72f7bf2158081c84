/* Rotary position embedding on [B, T, W]: the first n_heads heads of width head_dim
 * rotate by their position (graph_position + t), the columns after them pass through,
 * so one call turns the q and k heads of a packed qkv and leaves v alone. */
#include "autodiff/ops.h"
#include "ops/kernels.h"

#include <math.h>

static void rope_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    const fg_tensor *x = e->in[0];
    fgk_rope_bwd(e->in[0]->grad, e->out->grad, e->saved[0], x->shape[0], x->shape[1],
                 x->shape[2], e->attr[0], e->attr[1]);
    (void)g;
    (void)which;
}

fg_tensor *fg_op_rope(fg_graph *g, fg_tensor *x, int32_t n_heads, int32_t head_dim, double base) {
    if (!fg_op_inputs_ok(g, "rope", &x, 1)) return NULL;
    char xs[96];
    if (x->ndim != 3)
        return fg_graph_fail(g, FG_E_INVALID_ARG, "rope: input must be [B, T, W], got %s",
                             fg_shape_str(x, xs, sizeof xs));
    if (head_dim < 2 || head_dim % 2 != 0)
        return fg_graph_fail(g, FG_E_INVALID_ARG,
                             "rope: head_dim must be even and >= 2 (dims pair as i, i + D/2), "
                             "got %d", (int)head_dim);
    if (n_heads < 1 || (int64_t)n_heads * head_dim > x->shape[2])
        return fg_graph_fail(g, FG_E_INVALID_ARG,
                             "rope: %d heads of width %d do not fit in input %s (need 1 to "
                             "W / head_dim heads)",
                             (int)n_heads, (int)head_dim, fg_shape_str(x, xs, sizeof xs));
    if (!(base > 0.0 && isfinite(base)))
        return fg_graph_fail(g, FG_E_RANGE, "rope: base must be a finite number > 0, got %g", base);
    const int64_t B = x->shape[0], T = x->shape[1], W = x->shape[2];
    fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, 3, x->shape);
    float *table = fg_graph_buffer(g, T * head_dim);
    if (out == NULL || table == NULL) return NULL;
    fgk_rope_table(table, T, head_dim, fg_graph_position(g), base);
    fgk_rope_fwd(fg_f32(out), fg_f32(x), table, B, T, W, n_heads, head_dim);
    fg_tape_entry *e = fg_graph_record(g, rope_backward, out, &x, 1);
    if (e != NULL) {
        e->saved[0] = table;
        e->attr[0] = n_heads;
        e->attr[1] = head_dim;
    }
    return out;
}
