/* lr_monitor: records the learning rate of the last update in trainer_logs.json as
 * "lr_monitor/lr" every `logging_interval` steps, so a schedule can be checked step by
 * step even when the trainer logs rarely (its own records carry "lr" every
 * logging_steps). */
#include <forgather/plugin.h>

#include <string.h>

typedef struct lr_monitor {
    const fg_callback_vtbl *vt;
    int64_t interval;
} lr_monitor;

static fg_status lm_on_step_end(void *self, fg_run *run, const fg_train_state *st, fg_train_control *ctl,
                                fg_error *err) {
    const lr_monitor *lm = self;
    if (st == NULL || run == NULL || st->step % lm->interval != 0) return FG_OK;
    const char *const keys[] = {"lr_monitor/lr"};
    const double values[] = {st->lr};
    return fg_api->run_log(run, st->step, 1, keys, values, err);
}

static void lm_destroy(void *self) { fg_api->free(self); }

static const fg_callback_vtbl lm_vtbl = {
    .base = {sizeof(fg_callback_vtbl), FG_KIND_CALLBACK, lm_destroy},
    .on_step_end = lm_on_step_end,
};

static fg_status lm_create(const fg_params *params, const fg_create_args *args, void **out, fg_error *err) {
    lr_monitor *lm = fg_api->alloc(sizeof *lm);
    if (lm == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "lr_monitor: out of memory");
        return FG_E_NOMEM;
    }
    memset(lm, 0, sizeof *lm);
    lm->vt = &lm_vtbl;
    fg_status st = fg_api->param_int(params, "logging_interval", &lm->interval, err);
    if (st == FG_OK && lm->interval < 1) {
        fg_api->error_set(err, FG_E_RANGE, "lr_monitor: logging_interval must be >= 1, got %lld",
                          (long long)lm->interval);
        st = FG_E_RANGE;
    }
    if (st != FG_OK) {
        lm_destroy(lm);
        return st;
    }
    *out = lm;
    return FG_OK;
}

static const fg_param_spec lm_spec[] = {
    FG_SPEC_INT("logging_interval", "1", 1, 1e15, "record the learning rate every this many steps (>= 1)"),
};

static const fg_factory_desc factories[] = {
    FG_FACTORY(FG_KIND_CALLBACK, "lr_monitor",
               "Records the learning rate of the last update as \"lr_monitor/lr\" in trainer_logs.json every "
               "logging_interval steps.",
               lm_spec, lm_create),
};

FG_PLUGIN_DEFINE("lr_monitor", "0.1.0", "Learning-rate monitor", "MIT", factories)
