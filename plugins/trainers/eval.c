/* Validation loss. The windows sit at evenly spaced offsets that depend only on the
 * dataset size, so every evaluation of a run (and of runs with other settings) scores
 * exactly the same tokens and the numbers are comparable. */
#include "trainer.h"

/* i * span / (n - 1) without overflowing int64 for large datasets. */
static int64_t spaced_offset(int64_t i, int64_t n, int64_t span) {
    if (n <= 1) return 0;
    const int64_t q = span / (n - 1), r = span % (n - 1);
    return q * i + (r * i) / (n - 1);
}

fg_status eval_loss(simple_trainer *t, int64_t T, int64_t step, double *out, fg_error *err) {
    const int64_t B = t->a.batch_size, n_batches = t->a.eval_batches;
    const int64_t windows = B * n_batches;
    const int64_t span = t->eval_vt->num_tokens(t->eval_ds) - T - 1; /* largest offset */
    double sum = 0.0;
    for (int64_t k = 0; k < n_batches; k++) {
        fg_api->graph_reset(t->g);
        fg_api->graph_set_training(t->g, 0); /* no tape, no dropout */
        for (int64_t b = 0; b < B; b++)
            t->offsets[b] = spaced_offset(k * B + b, windows, span);
        fg_tensor *x = NULL, *y = NULL, *loss = NULL;
        fg_status st = batch_fill(t, t->g, t->eval_ds, t->eval_vt, t->offsets, B, T, &x, &y, err);
        if (st != FG_OK) return st;
        st = t->model_vt->forward(t->model, t->g, x, y, NULL, &loss, err);
        if (st != FG_OK) return st;
        double v = 0.0;
        if ((st = loss_value(loss, step, "validation", &v, err)) != FG_OK) return st;
        sum += v; /* equal-sized batches: the mean of means is the mean over tokens */
    }
    *out = n_batches > 0 ? sum / (double)n_batches : 0.0;
    return FG_OK;
}
