#include "autodiff/ops.h"

int fg_op_inputs_ok(fg_graph *g, const char *op, fg_tensor *const *inputs, int n) {
    if (g == NULL) return 0;
    for (int i = 0; i < n; i++) {
        if (inputs[i] == NULL) {
            /* A NULL input after an earlier failure is expected; otherwise say so. */
            if (g->status == FG_OK) fg_graph_fail(g, FG_E_INVALID_ARG, "%s: input %d is NULL", op, i);
            return 0;
        }
    }
    if (g->status != FG_OK) return 0;
    for (int i = 0; i < n; i++)
        if (inputs[i]->dtype != FG_DTYPE_F32) {
            fg_graph_fail(g, FG_E_TYPE, "%s: input %d must be F32, got %s", op, i,
                          fg_dtype_name(inputs[i]->dtype));
            return 0;
        }
    return 1;
}
