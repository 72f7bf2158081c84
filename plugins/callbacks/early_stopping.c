/* early_stopping: stops training when a monitored metric has not improved for `patience`
 * reports in a row. A report improves when it beats the best value so far by more than
 * min_delta; the first report always does. Non-improving reports (NaN included) count
 * towards patience; an improvement resets the count. The best value and the count are
 * kept in checkpoints, so a resumed run continues where it stopped counting. */
#include "monitor.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct early_stopping {
    const fg_callback_vtbl *vt;
    char *monitor; /* owned */
    int32_t maximize;
    int32_t check_on_log; /* 1: on_log reports, 0: on_evaluate reports */
    int64_t patience;
    double min_delta;
    /* progress, saved in checkpoints */
    int32_t has_best;
    double best;
    int64_t bad; /* reports since the last improvement */
    int32_t seen; /* the metric was reported in this process (for the end-of-run warning) */
} early_stopping;

static const char *event_name(const early_stopping *es) { return es->check_on_log ? "on_log" : "on_evaluate"; }

static void consider(early_stopping *es, const fg_train_state *st, const fg_metrics *m, fg_train_control *ctl) {
    double v = 0.0;
    if (!monitor_find(m, es->monitor, &v)) return;
    es->seen = 1;
    /* the first number reported is the first best; a NaN is never an improvement */
    if (!isnan(v) && (!es->has_best || monitor_better(es->maximize, v, es->best, es->min_delta))) {
        es->has_best = 1;
        es->best = v;
        es->bad = 0;
    } else {
        es->bad++;
    }
    if (es->bad < es->patience) return;
    if (!ctl->should_stop) {
        char best[64] = "any number (only NaN so far)";
        if (es->has_best) snprintf(best, sizeof best, "%g", es->best);
        fg_api->log(FG_LOG_INFO,
                    "early_stopping: %s has not improved on %s (mode %s, min_delta %g) for %lld "
                    "report(s); stopping after step %lld",
                    es->monitor, best, es->maximize ? "max" : "min", es->min_delta, (long long)es->bad,
                    (long long)(st != NULL ? st->step : -1));
    }
    ctl->should_stop = 1;
}

static fg_status es_on_log(void *self, fg_run *run, const fg_train_state *st, const fg_metrics *m,
                           fg_train_control *ctl, fg_error *err) {
    early_stopping *es = self;
    if (es->check_on_log && ctl != NULL) consider(es, st, m, ctl);
    return FG_OK;
}

static fg_status es_on_evaluate(void *self, fg_run *run, const fg_train_state *st, const fg_metrics *m,
                                fg_train_control *ctl, fg_error *err) {
    early_stopping *es = self;
    if (!es->check_on_log && ctl != NULL) consider(es, st, m, ctl);
    return FG_OK;
}

static fg_status es_on_train_end(void *self, fg_run *run, const fg_train_state *st, fg_error *err) {
    const early_stopping *es = self;
    /* a misspelt monitor or the wrong check_on would otherwise go unnoticed */
    if (!es->seen)
        fg_api->log(FG_LOG_WARN, "early_stopping: metric '%s' was never reported to %s; it could not stop training",
                    es->monitor, event_name(es));
    return FG_OK;
}

/* Saved as early_stopping.best (F64 [1]) and early_stopping.counters (I64 [3]:
 * has_best, bad, maximize). */
static fg_status es_save_state(const void *self, fg_state *state, fg_error *err) {
    const early_stopping *es = self;
    const int64_t one[1] = {1}, three[1] = {3};
    double best = es->best;
    int64_t counters[3] = {es->has_best, es->bad, es->maximize};
    fg_status st = fg_api->state_array(state, NULL, "early_stopping.best", FG_DTYPE_F64, 1, one, &best, err);
    if (st == FG_OK)
        st = fg_api->state_array(state, NULL, "early_stopping.counters", FG_DTYPE_I64, 1, three, counters, err);
    return st;
}

static fg_status es_load_state(void *self, fg_state *state, fg_error *err) {
    early_stopping *es = self;
    const int64_t one[1] = {1}, three[1] = {3};
    double best = 0.0;
    int64_t counters[3] = {0};
    fg_status st = fg_api->state_array(state, NULL, "early_stopping.best", FG_DTYPE_F64, 1, one, &best, err);
    if (st == FG_OK)
        st = fg_api->state_array(state, NULL, "early_stopping.counters", FG_DTYPE_I64, 1, three, counters, err);
    if (st != FG_OK) return st;
    if ((counters[0] != 0 && counters[0] != 1) || counters[1] < 0 || (counters[2] != 0 && counters[2] != 1) ||
        (counters[0] == 1 && isnan(best))) {
        fg_api->error_set(err, FG_E_RANGE,
                          "early_stopping: saved state is invalid (has_best %lld, bad %lld, maximize %lld, best %g)",
                          (long long)counters[0], (long long)counters[1], (long long)counters[2], best);
        return FG_E_RANGE;
    }
    if (counters[2] != es->maximize) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "early_stopping: the checkpoint was saved with mode %s but this config has mode %s",
                          counters[2] ? "max" : "min", es->maximize ? "max" : "min");
        return FG_E_INVALID_ARG;
    }
    es->has_best = (int32_t)counters[0];
    es->bad = counters[1];
    es->best = best;
    return FG_OK;
}

static void es_destroy(void *self) {
    early_stopping *es = self;
    if (es == NULL) return;
    fg_api->free(es->monitor);
    fg_api->free(es);
}

static const fg_callback_vtbl es_vtbl = {
    .base = {sizeof(fg_callback_vtbl), FG_KIND_CALLBACK, es_destroy},
    .on_log = es_on_log,
    .on_evaluate = es_on_evaluate,
    .on_train_end = es_on_train_end,
    .save_state = es_save_state,
    .load_state = es_load_state,
};

static fg_status es_create(const fg_params *params, const fg_create_args *args, void **out, fg_error *err) {
    early_stopping *es = fg_api->alloc(sizeof *es);
    if (es == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "early_stopping: out of memory");
        return FG_E_NOMEM;
    }
    memset(es, 0, sizeof *es);
    es->vt = &es_vtbl;
    const char *check_on = NULL;
    fg_status st = monitor_read_params(params, "early_stopping", &es->monitor, &es->maximize, err);
    if (st == FG_OK) st = fg_api->param_int(params, "patience", &es->patience, err);
    if (st == FG_OK) st = fg_api->param_float(params, "min_delta", &es->min_delta, err);
    if (st == FG_OK) st = fg_api->param_str(params, "check_on", &check_on, err);
    if (st == FG_OK && es->patience < 1) {
        fg_api->error_set(err, FG_E_RANGE, "early_stopping: patience must be >= 1, got %lld", (long long)es->patience);
        st = FG_E_RANGE;
    }
    if (st == FG_OK && !(es->min_delta >= 0.0 && isfinite(es->min_delta))) {
        fg_api->error_set(err, FG_E_RANGE, "early_stopping: min_delta must be a finite value >= 0, got %g",
                          es->min_delta);
        st = FG_E_RANGE;
    }
    if (st == FG_OK && (check_on == NULL || (strcmp(check_on, "evaluate") != 0 && strcmp(check_on, "log") != 0))) {
        fg_api->error_set(err, FG_E_INVALID_ARG, "early_stopping: check_on must be evaluate or log, got '%s'",
                          check_on ? check_on : "");
        st = FG_E_INVALID_ARG;
    }
    if (st != FG_OK) {
        es_destroy(es);
        return st;
    }
    es->check_on_log = strcmp(check_on, "log") == 0;
    *out = es;
    return FG_OK;
}

static const char *const mode_choices[] = {"min", "max", NULL};
static const char *const check_on_choices[] = {"evaluate", "log", NULL};

static const fg_param_spec es_spec[] = {
    FG_SPEC_STR("monitor", "eval_loss", NULL,
                "metric to watch: any key of the reports named by check_on (eval_loss; loss, grad_norm, ...)"),
    FG_SPEC_STR("mode", "min", mode_choices, "min: lower is better; max: higher is better"),
    FG_SPEC_INT("patience", "3", 1, 1e15, "reports without improvement before training stops (>= 1)"),
    FG_SPEC_FLOAT("min_delta", "0.0", 0, INFINITY, "an improvement must beat the best value by more than this"),
    FG_SPEC_STR("check_on", "evaluate", check_on_choices,
                "which reports to watch: evaluate (after each evaluation) or log (every logging_steps)"),
};

static const fg_factory_desc factories[] = {
    FG_FACTORY(FG_KIND_CALLBACK, "early_stopping",
               "Stops training (with a checkpoint) when the monitored metric has not improved by more than "
               "min_delta for `patience` reports in a row. Its best value and count survive a resume.",
               es_spec, es_create),
};

FG_PLUGIN_DEFINE("early_stopping", "0.1.0", "Early stopping on a monitored metric", "MIT", factories)
