/* Swish with a learned slope per channel: y = x * sigmoid(beta * x), beta [W] broadcast
 * over the rows of x [..., W]; beta NULL is SiLU. */
#include "autodiff/ops.h"
#include "ops/kernels.h"

static void swish_backward(fg_graph *g, const fg_tape_entry *e, unsigned which) {
    fg_tensor *x = e->in[0], *beta = e->in[1];
    fgk_swish_bwd((which & 1u) ? x->grad : NULL, (beta != NULL && (which & 2u)) ? beta->grad : NULL,
                  fg_f32(x), beta != NULL ? fg_f32(beta) : NULL, e->out->grad, fg_rows(x),
                  fg_last_dim(x));
    (void)g;
}

fg_tensor *fg_op_swish(fg_graph *g, fg_tensor *x, fg_tensor *beta) {
    fg_tensor *in[2] = {x, beta};
    if (!fg_op_inputs_ok(g, "swish", in, beta != NULL ? 2 : 1)) return NULL;
    if (beta != NULL && (x->ndim < 1 || beta->numel != fg_last_dim(x))) {
        char xs[96], bs[96];
        return fg_graph_fail(g, FG_E_INVALID_ARG,
                             "swish: beta %s must have one slope per channel of input %s",
                             fg_shape_str(beta, bs, sizeof bs), fg_shape_str(x, xs, sizeof xs));
    }
    fg_tensor *out = fg_graph_tensor(g, FG_DTYPE_F32, x->ndim, x->shape);
    if (out == NULL) return NULL;
    fgk_swish_fwd(fg_f32(out), fg_f32(x), beta != NULL ? fg_f32(beta) : NULL, fg_rows(x),
                  fg_last_dim(x));
    fg_graph_record(g, swish_backward, out, in, beta != NULL ? 2 : 1);
    return out;
}
