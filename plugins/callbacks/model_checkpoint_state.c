/* What a resumed run needs: the ranking of the best checkpoints so far, so it asks for a
 * save only when a report beats them. Saved as model_checkpoint.maximize (I64 [1]),
 * model_checkpoint.count (I64 [1]) and, when count > 0, model_checkpoint.steps (I64
 * [count]) and model_checkpoint.values (F64 [count]), best first.
 *
 * The trainer saves callback state inside the checkpoint before on_save reports it, so
 * the state already includes the save asked for in this step. Restored entries are
 * "inherited": they live in the previous run's directory, which is never modified. */
#include "model_checkpoint.h"

#include <math.h>
#include <string.h>

/* Far more than any run keeps; bounds what a damaged file can make us allocate. */
#define MAX_SAVED 10000000

fg_status mc_save_state(const void *self, fg_state *state, fg_error *err) {
    const model_checkpoint *mc = self;
    rank_list view = {NULL, 0, 0, mc->maximize};
    fg_status st = FG_OK;
    for (uint64_t i = 0; i < mc->kept.n && st == FG_OK; i++) st = rank_insert(&view, mc->kept.items[i], err);
    if (st == FG_OK && mc->has_pending && rank_qualifies(&mc->kept, mc->top_k, mc->pending_value))
        st = rank_insert(&view, (rank_entry){mc->pending_step, mc->pending_value, 0}, err);
    rank_entry dropped;
    while (rank_pop_worst(&view, mc->top_k, &dropped)) {
    }
    const int64_t one[1] = {1}, shape[1] = {(int64_t)view.n};
    int64_t maximize = mc->maximize, count = (int64_t)view.n;
    int64_t *steps = view.n > 0 ? fg_api->alloc(view.n * sizeof *steps) : NULL;
    double *values = view.n > 0 ? fg_api->alloc(view.n * sizeof *values) : NULL;
    if (st == FG_OK && view.n > 0 && (steps == NULL || values == NULL)) {
        fg_api->error_set(err, FG_E_NOMEM, "model_checkpoint: out of memory saving state");
        st = FG_E_NOMEM;
    }
    for (uint64_t i = 0; st == FG_OK && i < view.n; i++) {
        steps[i] = view.items[i].step;
        values[i] = view.items[i].value;
    }
    if (st == FG_OK)
        st = fg_api->state_array(state, NULL, "model_checkpoint.maximize", FG_DTYPE_I64, 1, one, &maximize, err);
    if (st == FG_OK)
        st = fg_api->state_array(state, NULL, "model_checkpoint.count", FG_DTYPE_I64, 1, one, &count, err);
    if (st == FG_OK && count > 0)
        st = fg_api->state_array(state, NULL, "model_checkpoint.steps", FG_DTYPE_I64, 1, shape, steps, err);
    if (st == FG_OK && count > 0)
        st = fg_api->state_array(state, NULL, "model_checkpoint.values", FG_DTYPE_F64, 1, shape, values, err);
    fg_api->free(steps);
    fg_api->free(values);
    rank_free(&view);
    return st;
}

static fg_status restore(model_checkpoint *mc, int64_t count, const int64_t *steps, const double *values,
                         fg_error *err) {
    rank_clear(&mc->kept);
    for (int64_t i = 0; i < count; i++) {
        if (steps[i] < 0 || !isfinite(values[i]) || rank_contains(&mc->kept, steps[i])) {
            fg_api->error_set(err, FG_E_RANGE,
                              "model_checkpoint: saved state entry %lld (step %lld, value %g) is invalid",
                              (long long)i, (long long)steps[i], values[i]);
            return FG_E_RANGE;
        }
        fg_status st = rank_insert(&mc->kept, (rank_entry){steps[i], values[i], 1}, err);
        if (st != FG_OK) return st;
    }
    rank_entry dropped; /* a smaller save_top_k than the saved run's keeps only the best */
    while (rank_pop_worst(&mc->kept, mc->top_k, &dropped)) {
    }
    return FG_OK;
}

fg_status mc_load_state(void *self, fg_state *state, fg_error *err) {
    model_checkpoint *mc = self;
    const int64_t one[1] = {1};
    int64_t maximize = 0, count = 0;
    fg_status st = fg_api->state_array(state, NULL, "model_checkpoint.maximize", FG_DTYPE_I64, 1, one, &maximize, err);
    if (st == FG_OK) st = fg_api->state_array(state, NULL, "model_checkpoint.count", FG_DTYPE_I64, 1, one, &count, err);
    if (st != FG_OK) return st;
    if ((maximize != 0 && maximize != 1) || count < 0 || count > MAX_SAVED) {
        fg_api->error_set(err, FG_E_RANGE, "model_checkpoint: saved state is invalid (maximize %lld, count %lld)",
                          (long long)maximize, (long long)count);
        return FG_E_RANGE;
    }
    if (maximize != mc->maximize) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "model_checkpoint: the checkpoint was saved with mode %s but this config has mode %s",
                          maximize ? "max" : "min", mc->maximize ? "max" : "min");
        return FG_E_INVALID_ARG;
    }
    if (count == 0) {
        rank_clear(&mc->kept);
        return FG_OK;
    }
    const int64_t shape[1] = {count};
    int64_t *steps = fg_api->alloc((size_t)count * sizeof *steps);
    double *values = fg_api->alloc((size_t)count * sizeof *values);
    if (steps == NULL || values == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "model_checkpoint: out of memory loading %lld saved entries",
                          (long long)count);
        st = FG_E_NOMEM;
    }
    if (st == FG_OK)
        st = fg_api->state_array(state, NULL, "model_checkpoint.steps", FG_DTYPE_I64, 1, shape, steps, err);
    if (st == FG_OK)
        st = fg_api->state_array(state, NULL, "model_checkpoint.values", FG_DTYPE_F64, 1, shape, values, err);
    if (st == FG_OK) st = restore(mc, count, steps, values, err);
    fg_api->free(steps);
    fg_api->free(values);
    return st;
}
