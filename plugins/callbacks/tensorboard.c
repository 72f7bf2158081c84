/* The `tensorboard` callback: writes the trainer's metrics as TensorBoard scalars.
 *
 * Each training (on_train_begin) opens a new event file, so a resumed run adds a file
 * beside the old ones and TensorBoard merges them. A run that resumes at step S also
 * writes a SessionLog START at step S+1: TensorBoard then drops the points the
 * interrupted run had logged after its checkpoint, when both log to one directory.
 * Tags: <prefix>/train/<key> for every training log metric, <prefix>/eval/<key> for an
 * evaluation's, with an "eval_" in front of the key dropped (eval_loss -> eval/loss). */
#include "tb_writer.h"

#include <float.h>
#include <math.h>
#include <string.h>

typedef struct tensorboard_cb {
    const fg_callback_vtbl *vt;
    char *log_dir; /* owned; "" = <run dir>/tensorboard */
    char *prefix;  /* owned; "" = none */
    tb_writer w;
} tensorboard_cb;

static char *copy_str(const char *s) {
    const size_t n = strlen(s) + 1;
    char *c = fg_api->alloc(n);
    if (c != NULL) memcpy(c, s, n);
    return c;
}

/* An absolute log_dir as is; a relative one inside the run directory. */
static fg_status resolve_log_dir(const tensorboard_cb *cb, fg_run *run, char *out, size_t cap, fg_error *err) {
    const char *run_dir = fg_api->run_dir(run);
    if (run_dir == NULL || run_dir[0] == '\0') run_dir = ".";
    const int n = cb->log_dir[0] == '/'  ? snprintf(out, cap, "%s", cb->log_dir)
                  : cb->log_dir[0] == '\0' ? snprintf(out, cap, "%s/tensorboard", run_dir)
                                           : snprintf(out, cap, "%s/%s", run_dir, cb->log_dir);
    if (n < 0 || (size_t)n >= cap) {
        fg_api->error_set(err, FG_E_RANGE, "tensorboard: log directory path is too long: '%s'", cb->log_dir);
        return FG_E_RANGE;
    }
    return FG_OK;
}

static fg_status tb_train_begin(void *self, fg_run *run, const fg_train_state *st, fg_error *err) {
    tensorboard_cb *cb = self;
    char dir[TB_PATH_MAX];
    fg_status s = tb_writer_close(&cb->w, err); /* a previous train() that ended in an error */
    if (s == FG_OK) s = resolve_log_dir(cb, run, dir, sizeof dir, err);
    if (s == FG_OK) s = tb_writer_open(&cb->w, dir, err);
    if (s != FG_OK) return s;
    fg_api->log(FG_LOG_INFO, "tensorboard: writing %s", cb->w.path);
    const tb_event version = {.wall_time = tb_unix_time(), .file_version = TB_FILE_VERSION};
    s = tb_writer_write(&cb->w, &version, err);
    if (s == FG_OK && st != NULL && st->step > 0) {
        const tb_event restart = {.wall_time = tb_unix_time(), .step = st->step + 1,
                                  .session_status = TB_SESSION_START};
        s = tb_writer_write(&cb->w, &restart, err);
    }
    return s == FG_OK ? tb_writer_flush(&cb->w, 1, err) : s;
}

/* float, as simple_value holds it; a finite double beyond float's range becomes an
 * infinity (converting it directly is undefined). */
static float to_float(double v) {
    if (v > FLT_MAX) return INFINITY;
    if (v < -FLT_MAX) return -INFINITY;
    return (float)v;
}

/* The key as it appears under its group: eval_loss -> loss in "eval". */
static const char *short_key(const char *group, const char *key) {
    return strcmp(group, "eval") == 0 && strncmp(key, "eval_", 5) == 0 && key[5] != '\0' ? key + 5 : key;
}

/* One event at st->step with a scalar per metric, tagged [<prefix>/]<group>/<key>. */
static fg_status write_metrics(tensorboard_cb *cb, const char *hook, const char *group, const fg_train_state *st,
                               const fg_metrics *m, fg_error *err) {
    if (m == NULL || m->n == 0) return FG_OK;
    if (m->keys == NULL || m->values == NULL || st == NULL) {
        fg_api->error_set(err, FG_E_INVALID_ARG, "tensorboard: %s got %u metrics without keys, values or state",
                          hook, (unsigned)m->n);
        return FG_E_INVALID_ARG;
    }
    const size_t plen = strlen(cb->prefix);
    const int slash = plen > 0 && cb->prefix[plen - 1] != '/';
    size_t bytes = sizeof(tb_scalar) * m->n;
    for (uint32_t i = 0; i < m->n; i++) {
        if (m->keys[i] == NULL) {
            fg_api->error_set(err, FG_E_INVALID_ARG, "tensorboard: %s metric %u has no name", hook, (unsigned)i);
            return FG_E_INVALID_ARG;
        }
        bytes += plen + 1 + strlen(group) + 1 + strlen(m->keys[i]) + 1;
    }
    tb_scalar *scalars = fg_api->alloc(bytes); /* the scalars, then their tags */
    if (scalars == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "tensorboard: out of memory for %u metrics", (unsigned)m->n);
        return FG_E_NOMEM;
    }
    char *tags = (char *)(scalars + m->n), *end = (char *)scalars + bytes;
    for (uint32_t i = 0; i < m->n; i++) {
        const int n = snprintf(tags, (size_t)(end - tags), "%s%s%s/%s", cb->prefix, slash ? "/" : "", group,
                               short_key(group, m->keys[i]));
        scalars[i].tag = tags;
        scalars[i].value = to_float(m->values[i]);
        tags += n + 1;
    }
    const tb_event ev = {.wall_time = tb_unix_time(), .step = st->step, .scalars = scalars, .n_scalars = m->n};
    fg_status s = tb_writer_write(&cb->w, &ev, err);
    fg_api->free(scalars);
    return s;
}

/* Called every step: records that waited for flush_secs reach the disk soon after. */
static fg_status tb_step_end(void *self, fg_run *run, const fg_train_state *st, fg_train_control *ctl,
                             fg_error *err) {
    return tb_writer_flush(&((tensorboard_cb *)self)->w, 0, err);
}

static fg_status tb_log(void *self, fg_run *run, const fg_train_state *st, const fg_metrics *m,
                        fg_train_control *ctl, fg_error *err) {
    return write_metrics(self, "on_log", "train", st, m, err);
}

static fg_status tb_evaluate(void *self, fg_run *run, const fg_train_state *st, const fg_metrics *m,
                             fg_train_control *ctl, fg_error *err) {
    tensorboard_cb *cb = self;
    fg_status s = write_metrics(cb, "on_evaluate", "eval", st, m, err);
    return s == FG_OK ? tb_writer_flush(&cb->w, 1, err) : s;
}

/* What is on disk then covers the checkpoint's steps. */
static fg_status tb_save(void *self, fg_run *run, const fg_train_state *st, const char *checkpoint_dir,
                         fg_error *err) {
    return tb_writer_flush(&((tensorboard_cb *)self)->w, 1, err);
}

static fg_status tb_train_end(void *self, fg_run *run, const fg_train_state *st, fg_error *err) {
    return tb_writer_close(&((tensorboard_cb *)self)->w, err);
}

static void tb_destroy(void *self) {
    tensorboard_cb *cb = self;
    if (cb == NULL) return;
    fg_error err = {0};
    if (tb_writer_close(&cb->w, &err) != FG_OK) fg_api->log(FG_LOG_WARN, "%s", err.msg);
    fg_api->free(cb->log_dir);
    fg_api->free(cb->prefix);
    fg_api->free(cb);
}

static const fg_callback_vtbl tensorboard_vtbl = {
    .base = {sizeof(fg_callback_vtbl), FG_KIND_CALLBACK, tb_destroy},
    .on_train_begin = tb_train_begin,
    .on_step_end = tb_step_end,
    .on_log = tb_log,
    .on_evaluate = tb_evaluate,
    .on_save = tb_save,
    .on_train_end = tb_train_end,
};

static fg_status tensorboard_create(const fg_params *params, const fg_create_args *args, void **out,
                                    fg_error *err) {
    tensorboard_cb *cb = fg_api->alloc(sizeof *cb);
    if (cb == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "tensorboard: out of memory");
        return FG_E_NOMEM;
    }
    memset(cb, 0, sizeof *cb);
    cb->vt = &tensorboard_vtbl;
    const char *log_dir = NULL, *prefix = NULL;
    fg_status st = fg_api->param_str(params, "log_dir", &log_dir, err);
    if (st == FG_OK) st = fg_api->param_str(params, "prefix", &prefix, err);
    if (st == FG_OK) st = fg_api->param_float(params, "flush_secs", &cb->w.flush_secs, err);
    if (st == FG_OK && !(cb->w.flush_secs >= 0.0)) { /* the spec's range lets no NaN through; be sure */
        fg_api->error_set(err, FG_E_RANGE, "tensorboard: flush_secs must be >= 0, got %g", cb->w.flush_secs);
        st = FG_E_RANGE;
    }
    if (st == FG_OK) {
        cb->log_dir = copy_str(log_dir != NULL ? log_dir : "");
        cb->prefix = copy_str(prefix != NULL ? prefix : "");
        if (cb->log_dir == NULL || cb->prefix == NULL) {
            fg_api->error_set(err, FG_E_NOMEM, "tensorboard: out of memory");
            st = FG_E_NOMEM;
        }
    }
    if (st != FG_OK) {
        tb_destroy(cb);
        return st;
    }
    *out = cb;
    return FG_OK;
}

static const fg_param_spec tensorboard_spec[] = {
    FG_SPEC_STR("log_dir", "\"\"", NULL,
                "directory of the event files; \"\" = <run dir>/tensorboard, a relative path is taken inside "
                "the run directory. Created when missing; each training adds a new file"),
    FG_SPEC_FLOAT("flush_secs", "10", 0, INFINITY,
                  "write buffered events to disk at most this often (seconds; 0 = after every event); "
                  "always after an evaluation, a checkpoint and at the end"),
    FG_SPEC_STR("prefix", "\"\"", NULL, "put in front of every tag, joined with '/' (e.g. gpt -> gpt/train/loss)"),
};

static const fg_factory_desc factories[] = {
    FG_FACTORY(FG_KIND_CALLBACK, "tensorboard",
               "Writes TensorBoard event files (events.out.tfevents.<time>.<host>) of the trainer's metrics. "
               "Scalars at the trainer's step: train/<key> for every metric of a training log (train/loss, "
               "train/lr, train/grad_norm, train/tokens_per_s, train/elapsed_s, train/epoch, "
               "train/optimizer_step_ms with the simple trainer), eval/<key> for an evaluation's with its "
               "eval_ dropped (eval/loss). View with: tensorboard --logdir <runs dir>",
               tensorboard_spec, tensorboard_create),
};

FG_PLUGIN_DEFINE("tensorboard", "0.1.0", "TensorBoard event files of training metrics", "MIT", factories)
