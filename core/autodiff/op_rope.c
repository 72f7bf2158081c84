/* Rotary position embedding. Placeholder. */
#include "autodiff/ops.h"

fg_tensor *fg_op_rope(fg_graph *g, fg_tensor *x, int32_t n_heads, int32_t head_dim, double base) {
    (void)x; (void)n_heads; (void)head_dim; (void)base;
    return fg_graph_fail(g, FG_E_UNSUPPORTED, "rope: not implemented yet");
}

fg_tensor *fg_op_swish(fg_graph *g, fg_tensor *x, fg_tensor *beta) {
    (void)x; (void)beta;
    return fg_graph_fail(g, FG_E_UNSUPPORTED, "swish: not implemented yet");
}
