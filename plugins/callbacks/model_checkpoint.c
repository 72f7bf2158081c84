/* model_checkpoint: keeps the best `save_top_k` checkpoints by a monitored metric.
 *
 * When the metric is reported (on_log or on_evaluate; with every_n_steps only at steps
 * divisible by it) and the value is among the best top_k so far, it asks the trainer to
 * save (should_save). When the trainer reports that checkpoint committed (on_save), it
 * ranks it, removes the checkpoints it asked for that fell out of the best top_k and
 * rewrites <run dir>/best_checkpoints.json.
 *
 * It only ever removes <run dir>/checkpoint-<N> directories it asked for itself in this
 * run (a checkpoint saved for another reason at the same step is the same directory), and
 * never the one `latest` names (the resume point): that one goes once `latest` moves on. */
#include "model_checkpoint.h"

#include "checkpoint_files.h"
#include "monitor.h"

#include <math.h>
#include <string.h>

static const char *run_dir_of(fg_run *run) {
    const char *dir = run != NULL ? fg_api->run_dir(run) : NULL;
    return dir != NULL && dir[0] != '\0' ? dir : ".";
}

static fg_status consider(model_checkpoint *mc, const fg_train_state *st, const fg_metrics *m,
                          fg_train_control *ctl) {
    double v = 0.0;
    if (mc->top_k == 0 || st == NULL || ctl == NULL || !monitor_find(m, mc->monitor, &v)) return FG_OK;
    if (mc->every_n > 0 && st->step % mc->every_n != 0) return FG_OK;
    if (!isfinite(v)) {
        fg_api->log(FG_LOG_WARN, "model_checkpoint: %s is %g at step %lld; not a candidate", mc->monitor, v,
                    (long long)st->step);
        return FG_OK;
    }
    if (!rank_qualifies(&mc->kept, mc->top_k, v)) return FG_OK;
    ctl->should_save = 1;
    mc->has_pending = 1;
    mc->pending_step = st->step;
    mc->pending_value = v;
    return FG_OK;
}

static fg_status mc_on_step_end(void *self, fg_run *run, const fg_train_state *st, fg_train_control *ctl,
                                fg_error *err) {
    model_checkpoint *mc = self;
    mc->has_pending = 0; /* a request belongs to the step it was made in */
    return FG_OK;
}

static fg_status mc_on_log(void *self, fg_run *run, const fg_train_state *st, const fg_metrics *m,
                           fg_train_control *ctl, fg_error *err) {
    return consider(self, st, m, ctl);
}

static fg_status mc_on_evaluate(void *self, fg_run *run, const fg_train_state *st, const fg_metrics *m,
                                fg_train_control *ctl, fg_error *err) {
    return consider(self, st, m, ctl);
}

static fg_status defer(model_checkpoint *mc, int64_t step, fg_error *err) {
    if (mc->n_deferred == mc->cap_deferred) {
        const uint64_t cap = mc->cap_deferred ? 2 * mc->cap_deferred : 4;
        int64_t *grown = fg_api->alloc(cap * sizeof *grown);
        if (grown == NULL) {
            fg_api->error_set(err, FG_E_NOMEM, "model_checkpoint: out of memory");
            return FG_E_NOMEM;
        }
        if (mc->n_deferred > 0) memcpy(grown, mc->deferred, mc->n_deferred * sizeof *grown);
        fg_api->free(mc->deferred);
        mc->deferred = grown;
        mc->cap_deferred = cap;
    }
    mc->deferred[mc->n_deferred++] = step;
    return FG_OK;
}

/* Removes one of its own checkpoints, unless `latest` names it (then later). A failure
 * to remove is a warning: training goes on, the directory stays. */
static fg_status discard(model_checkpoint *mc, const char *run_dir, int64_t step, fg_error *err) {
    if (files_latest_step(run_dir) == step) return defer(mc, step, err);
    fg_error why = {0};
    if (files_remove_checkpoint(run_dir, step, &why) != FG_OK)
        fg_api->log(FG_LOG_WARN, "%s", why.msg);
    else
        fg_api->log(FG_LOG_INFO, "model_checkpoint: removed checkpoint-%lld (no longer among the best %lld by %s)",
                    (long long)step, (long long)mc->top_k, mc->monitor);
    return FG_OK;
}

/* Retries the deferred removals whose checkpoint `latest` no longer names. */
static fg_status retry_deferred(model_checkpoint *mc, const char *run_dir, fg_error *err) {
    const int64_t latest = files_latest_step(run_dir);
    uint64_t keep = 0;
    int64_t *due = NULL;
    uint64_t n_due = 0;
    if (mc->n_deferred == 0) return FG_OK;
    due = fg_api->alloc(mc->n_deferred * sizeof *due);
    if (due == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "model_checkpoint: out of memory");
        return FG_E_NOMEM;
    }
    for (uint64_t i = 0; i < mc->n_deferred; i++) {
        if (mc->deferred[i] == latest)
            mc->deferred[keep++] = mc->deferred[i];
        else
            due[n_due++] = mc->deferred[i];
    }
    mc->n_deferred = keep;
    fg_status st = FG_OK;
    for (uint64_t i = 0; i < n_due && st == FG_OK; i++) st = discard(mc, run_dir, due[i], err);
    fg_api->free(due);
    return st;
}

static fg_status mc_on_save(void *self, fg_run *run, const fg_train_state *st, const char *checkpoint_dir,
                            fg_error *err) {
    model_checkpoint *mc = self;
    const char *run_dir = run_dir_of(run);
    fg_status s = retry_deferred(mc, run_dir, err);
    if (s != FG_OK || st == NULL || !mc->has_pending || st->step != mc->pending_step) return s; /* not ours */
    mc->has_pending = 0;
    if (rank_contains(&mc->kept, st->step)) return FG_OK; /* already ranked (saved twice in a step) */
    if ((s = rank_insert(&mc->kept, (rank_entry){st->step, mc->pending_value, 0}, err)) != FG_OK) return s;
    rank_entry out;
    while (s == FG_OK && rank_pop_worst(&mc->kept, mc->top_k, &out))
        if (!out.inherited) s = discard(mc, run_dir, out.step, err); /* the previous run's stay */
    if (s == FG_OK) s = mc_write_best(mc, run_dir, err);
    return s;
}

static fg_status mc_on_train_begin(void *self, fg_run *run, const fg_train_state *st, fg_error *err) {
    model_checkpoint *mc = self;
    /* restored entries (load_state ran before this) live beside the resumed checkpoint */
    const char *resume = run != NULL ? fg_api->run_resume_dir(run) : NULL;
    fg_api->free(mc->inherited_dir);
    mc->inherited_dir = NULL;
    if (resume != NULL) {
        const char *slash = strrchr(resume, '/');
        const size_t len = slash == NULL ? 1 : (size_t)(slash - resume);
        mc->inherited_dir = fg_api->alloc(len + 1);
        if (mc->inherited_dir == NULL) {
            fg_api->error_set(err, FG_E_NOMEM, "model_checkpoint: out of memory");
            return FG_E_NOMEM;
        }
        if (slash == NULL)
            memcpy(mc->inherited_dir, ".", 2);
        else if (len == 0)
            memcpy(mc->inherited_dir, "/", 2);
        else {
            memcpy(mc->inherited_dir, resume, len);
            mc->inherited_dir[len] = '\0';
        }
    }
    return mc->kept.n > 0 ? mc_write_best(mc, run_dir_of(run), err) : FG_OK;
}

static void mc_destroy(void *self) {
    model_checkpoint *mc = self;
    if (mc == NULL) return;
    rank_free(&mc->kept);
    fg_api->free(mc->deferred);
    fg_api->free(mc->inherited_dir);
    fg_api->free(mc->monitor);
    fg_api->free(mc);
}

static const fg_callback_vtbl mc_vtbl = {
    .base = {sizeof(fg_callback_vtbl), FG_KIND_CALLBACK, mc_destroy},
    .on_train_begin = mc_on_train_begin,
    .on_step_end = mc_on_step_end,
    .on_log = mc_on_log,
    .on_evaluate = mc_on_evaluate,
    .on_save = mc_on_save,
    .save_state = mc_save_state,
    .load_state = mc_load_state,
};

static fg_status mc_create(const fg_params *params, const fg_create_args *args, void **out, fg_error *err) {
    model_checkpoint *mc = fg_api->alloc(sizeof *mc);
    if (mc == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "model_checkpoint: out of memory");
        return FG_E_NOMEM;
    }
    memset(mc, 0, sizeof *mc);
    mc->vt = &mc_vtbl;
    fg_status st = monitor_read_params(params, "model_checkpoint", &mc->monitor, &mc->maximize, err);
    if (st == FG_OK) st = fg_api->param_int(params, "save_top_k", &mc->top_k, err);
    if (st == FG_OK) st = fg_api->param_int(params, "every_n_steps", &mc->every_n, err);
    if (st == FG_OK && mc->top_k < -1) {
        fg_api->error_set(err, FG_E_RANGE, "model_checkpoint: save_top_k must be -1 (all), 0 (none) or more, got %lld",
                          (long long)mc->top_k);
        st = FG_E_RANGE;
    }
    if (st == FG_OK && mc->every_n < 0) {
        fg_api->error_set(err, FG_E_RANGE, "model_checkpoint: every_n_steps must be >= 0, got %lld",
                          (long long)mc->every_n);
        st = FG_E_RANGE;
    }
    if (st != FG_OK) {
        mc_destroy(mc);
        return st;
    }
    mc->kept.maximize = mc->maximize;
    *out = mc;
    return FG_OK;
}

static const char *const mode_choices[] = {"min", "max", NULL};

static const fg_param_spec mc_spec[] = {
    FG_SPEC_STR("monitor", "eval_loss", NULL, "metric that ranks checkpoints: any key of on_log or on_evaluate"),
    FG_SPEC_STR("mode", "min", mode_choices, "min: lower is better; max: higher is better"),
    FG_SPEC_INT("save_top_k", "1", -1, 1e15, "checkpoints to keep: the best k; -1 keeps all, 0 saves none"),
    FG_SPEC_INT("every_n_steps", "0", 0, 1e15,
                "0: consider every report of the metric; N: only reports at steps divisible by N"),
};

static const fg_factory_desc factories[] = {
    FG_FACTORY(FG_KIND_CALLBACK, "model_checkpoint",
               "Saves a checkpoint whenever the monitored metric is among the best save_top_k so far, removes "
               "the ones it saved that fall out, and lists the kept ones in best_checkpoints.json.",
               mc_spec, mc_create),
};

FG_PLUGIN_DEFINE("model_checkpoint", "0.1.0", "Best-k checkpoints by a monitored metric", "MIT", factories)
