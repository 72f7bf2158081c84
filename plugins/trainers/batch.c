/* Turning dataset windows into the model's int32 inputs and next-token targets. */
#include "trainer.h"

#include <math.h>

fg_status batch_fill(simple_trainer *t, fg_graph *g, void *ds, const fg_dataset_vtbl *vt,
                     const int64_t *offsets, int64_t B, int64_t T, fg_tensor **inputs,
                     fg_tensor **targets, fg_error *err) {
    const int64_t shape[2] = {B, T};
    fg_tensor *x = fg_api->tensor_new(g, FG_DTYPE_I32, 2, shape);
    fg_tensor *y = fg_api->tensor_new(g, FG_DTYPE_I32, 2, shape);
    int32_t *xd = x != NULL ? fg_api->tensor_data(x) : NULL;
    int32_t *yd = y != NULL ? fg_api->tensor_data(y) : NULL;
    if (xd == NULL || yd == NULL) {
        fg_status st = fg_api->graph_status(g, err);
        if (st != FG_OK) return st;
        fg_api->error_set(err, FG_E_NOMEM, "simple: cannot allocate a [%lld, %lld] batch",
                          (long long)B, (long long)T);
        return FG_E_NOMEM;
    }
    for (int64_t b = 0; b < B; b++) {
        fg_status st = vt->read(ds, offsets[b], T + 1, t->window, err);
        if (st != FG_OK) return st;
        for (int64_t i = 0; i < T; i++) {
            xd[b * T + i] = t->window[i];
            yd[b * T + i] = t->window[i + 1];
        }
    }
    *inputs = x;
    *targets = y;
    return FG_OK;
}

fg_status loss_value(fg_tensor *loss, int64_t step, const char *phase, double *out, fg_error *err) {
    const float *v = NULL;
    if (loss != NULL && fg_api->tensor_dtype(loss) == FG_DTYPE_F32 &&
        fg_api->tensor_numel(loss) >= 1)
        v = fg_api->tensor_data(loss);
    if (v == NULL) {
        fg_api->error_set(err, FG_E_INTERNAL,
                          "simple: the model returned no fp32 scalar loss at step %lld (%s)",
                          (long long)step, phase);
        return FG_E_INTERNAL;
    }
    if (!isfinite(v[0])) {
        fg_api->error_set(err, FG_E_NUMERIC,
                          "simple: %s loss is %f at step %lld; lower the learning rate or "
                          "check the data",
                          phase, (double)v[0], (long long)step);
        return FG_E_NUMERIC;
    }
    *out = (double)v[0];
    return FG_OK;
}
