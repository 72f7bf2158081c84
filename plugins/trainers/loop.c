/* The training loop: random windows of the train set, forward, backward, clip, step,
 * with logging, periodic validation, interruption, saving and a closing sample. */
#include "trainer.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct run_state {
    simple_trainer *t;
    fg_run *run;
    uint64_t n_params;
    fg_tensor *const *params;
    void *opt;
    const fg_optimizer_vtbl *opt_vt;
    void *sched; /* NULL: constant factor 1 */
    const fg_lr_schedule_vtbl *sched_vt;
    int64_t B, T, train_tokens;
    uint64_t rng;      /* batch offsets, then sampling */
    uint64_t drop_rng; /* dropout seeds: separate so dropout does not move the data order */
    progress prog;
    double t_start, step_time_total;
    /* accumulated since the last logging step */
    double loss_sum, window_time, window_opt_time; /* opt: the optimizer step alone */
    int64_t window_steps;
    int64_t start_step; /* > 0 when resumed from a checkpoint */
    double lr;          /* of the last update */
    fg_train_control ctl; /* callbacks' requests, acted on after each step */
    int warned_no_save;
} run_state;

/* Where training stands, for the callbacks. */
static fg_train_state state_at(const run_state *s, int64_t step) {
    fg_train_state st;
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    st.step = step;
    st.max_steps = s->t->a.max_steps;
    st.epoch = (double)(s->B * s->T) * (double)step / (double)s->train_tokens;
    st.lr = s->lr;
    st.elapsed_s = s->t_start > 0.0 ? fg_api->now() - s->t_start : 0.0;
    st.tokens_seen = s->B * s->T * step;
    return st;
}

static fg_status emit(run_state *s, int64_t step, callback_event ev, uint32_t n, const char *const *keys,
                      const double *values, const char *checkpoint_dir, fg_error *err) {
    const fg_train_state st = state_at(s, step);
    const fg_metrics m = {n, keys, values};
    return callbacks_emit(s->t, s->run, ev, &st, &m, checkpoint_dir, &s->ctl, err);
}

static fg_status make_optimizer(run_state *s, fg_error *err) {
    simple_trainer *t = s->t;
    fg_scope *scope = fg_api->object_scope(t->model);
    if (scope == NULL) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "simple: the model has no parameter scope (was it built by the host?)");
        return FG_E_INVALID_ARG;
    }
    fg_status st = fg_api->scope_params(scope, &s->n_params, &s->params, err);
    if (st != FG_OK) return st;
    fg_create_args args;
    memset(&args, 0, sizeof(args));
    args.struct_size = sizeof(args);
    args.layer_index = -1;
    args.params = s->params;
    args.n_params = s->n_params;
    if ((st = fg_api->partial_create(t->optimizer, &args, &s->opt, err)) != FG_OK) return st;
    const void *vt = NULL;
    if ((st = trainer_object_vt(s->opt, FG_KIND_OPTIMIZER, sizeof(fg_optimizer_vtbl), "optimizer",
                                &vt, err)) != FG_OK)
        return st;
    s->opt_vt = vt;
    if (t->lr_scheduler == NULL) return FG_OK;
    memset(&args, 0, sizeof(args));
    args.struct_size = sizeof(args);
    args.layer_index = -1;
    args.total_steps = t->a.max_steps;
    if ((st = fg_api->partial_create(t->lr_scheduler, &args, &s->sched, err)) != FG_OK) return st;
    if ((st = trainer_object_vt(s->sched, FG_KIND_LR_SCHEDULE, sizeof(fg_lr_schedule_vtbl),
                                "lr_scheduler", &vt, err)) != FG_OK)
        return st;
    s->sched_vt = vt;
    return FG_OK;
}

/* Sequence length and buffers; every dataset must hold at least one window of T+1. */
static fg_status prepare(run_state *s, fg_error *err) {
    simple_trainer *t = s->t;
    const int64_t max_T = t->model_vt->max_seq_len(t->model);
    s->B = t->a.batch_size;
    s->T = t->a.seq_len > 0 ? t->a.seq_len : max_T;
    if (s->T < 1 || s->T > max_T) {
        fg_api->error_set(err, FG_E_RANGE,
                          "simple: seq_len %lld exceeds the model's max_seq_len %lld",
                          (long long)s->T, (long long)max_T);
        return FG_E_RANGE;
    }
    s->train_tokens = t->train_vt->num_tokens(t->train_ds);
    if (s->train_tokens < s->T + 1) {
        fg_api->error_set(err, FG_E_RANGE,
                          "simple: train_dataset has %lld tokens, fewer than seq_len + 1 = %lld; "
                          "use more data or a smaller seq_len",
                          (long long)s->train_tokens, (long long)(s->T + 1));
        return FG_E_RANGE;
    }
    if (t->eval_ds != NULL && t->eval_vt->num_tokens(t->eval_ds) < s->T + 1) {
        fg_api->error_set(err, FG_E_RANGE,
                          "simple: eval_dataset has %lld tokens, fewer than seq_len + 1 = %lld; "
                          "use more data or a smaller seq_len",
                          (long long)t->eval_vt->num_tokens(t->eval_ds), (long long)(s->T + 1));
        return FG_E_RANGE;
    }
    /* train() may run twice on one object: drop the previous run's resources */
    fg_api->free(t->window);
    fg_api->free(t->offsets);
    if (t->g != NULL) fg_api->graph_free(t->g);
    t->g = NULL;
    t->window = fg_api->alloc(sizeof(int32_t) * (size_t)(s->T + 1));
    t->offsets = fg_api->alloc(sizeof(int64_t) * (size_t)s->B);
    if (t->window == NULL || t->offsets == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "simple: out of memory for batch buffers");
        return FG_E_NOMEM;
    }
    s->rng = t->a.seed;
    s->drop_rng = t->a.seed ^ 0x9E3779B97F4A7C15ull;
    return fg_api->graph_new(&t->g, err);
}

/* One optimizer update; *loss is the batch loss before the update. */
static fg_status train_step(run_state *s, int64_t step, double *loss, double *grad_norm, double *lr,
                            fg_error *err) {
    simple_trainer *t = s->t;
    fg_graph *g = t->g;
    fg_api->graph_reset(g);
    fg_api->graph_set_training(g, 1);
    fg_api->graph_set_seed(g, fg_api->rng_next(&s->drop_rng));
    /* offsets uniform in [0, ntok - T - 1] so each window of T+1 tokens fits */
    const uint64_t range = (uint64_t)(s->train_tokens - s->T);
    for (int64_t b = 0; b < s->B; b++)
        t->offsets[b] = (int64_t)(fg_api->rng_next(&s->rng) % range);
    fg_tensor *x = NULL, *y = NULL, *l = NULL;
    fg_status st = batch_fill(t, g, t->train_ds, t->train_vt, t->offsets, s->B, s->T, &x, &y, err);
    if (st != FG_OK) return st;
    if ((st = t->model_vt->forward(t->model, g, x, y, NULL, &l, err)) != FG_OK) return st;
    if ((st = loss_value(l, step, "training", loss, err)) != FG_OK) return st;
    if ((st = fg_api->graph_backward(g, l, NULL, FG_BACKWARD_FULL, err)) != FG_OK) return st;
    *grad_norm = fg_api->params_clip_grad_norm(s->n_params, s->params, t->a.max_grad_norm);
    if (!isfinite(*grad_norm)) {
        fg_api->error_set(err, FG_E_NUMERIC,
                          "simple: gradient norm is %f at step %lld; lower the learning rate",
                          *grad_norm, (long long)step);
        return FG_E_NUMERIC;
    }
    /* the schedule is indexed by updates done before this one (0-based) */
    const double factor = s->sched != NULL ? s->sched_vt->factor(s->sched, step - 1) : 1.0;
    *lr = s->opt_vt->base_lr(s->opt) * factor;
    const double t_opt = fg_api->now();
    if ((st = s->opt_vt->step(s->opt, factor, err)) != FG_OK) return st;
    s->window_opt_time += fg_api->now() - t_opt;
    fg_api->params_zero_grad(s->n_params, s->params);
    return FG_OK;
}

static fg_status log_step(run_state *s, int64_t step, double grad_norm, double lr, fg_error *err) {
    simple_trainer *t = s->t;
    const double tokens = (double)(s->B * s->T);
    const double loss = s->loss_sum / (double)s->window_steps; /* mean since the last log */
    const double tok_s =
        s->window_time > 0.0 ? tokens * (double)s->window_steps / s->window_time : 0.0;
    const double eta = s->step_time_total / (double)(step - s->start_step) * (double)(t->a.max_steps - step);
    const char *const keys[] = {"loss",      "lr",     "grad_norm", "tokens_per_s",
                                "elapsed_s", "epoch", "optimizer_step_ms"};
    const double values[] = {loss,
                             lr,
                             grad_norm,
                             tok_s,
                             fg_api->now() - s->t_start,
                             tokens * (double)step / (double)s->train_tokens,
                             1e3 * s->window_opt_time / (double)s->window_steps};
    fg_status st = fg_api->run_log(s->run, step, 7, keys, values, err);
    if (st == FG_OK) st = emit(s, step, CALLBACK_LOG, 7, keys, values, NULL, err);
    if (st != FG_OK) return st;
    if (t->a.progress) progress_update(&s->prog, step, t->a.max_steps, loss, lr, tok_s, eta);
    s->loss_sum = 0.0;
    s->window_time = 0.0;
    s->window_opt_time = 0.0;
    s->window_steps = 0;
    return FG_OK;
}

static fg_status evaluate(run_state *s, int64_t step, fg_error *err) {
    double v = 0.0;
    fg_status st = eval_loss(s->t, s->T, step, &v, err);
    if (st != FG_OK) return st;
    const char *const keys[] = {"eval_loss"};
    if ((st = fg_api->run_log(s->run, step, 1, keys, &v, err)) != FG_OK) return st;
    if ((st = emit(s, step, CALLBACK_EVALUATE, 1, keys, &v, NULL, err)) != FG_OK) return st;
    if (s->t->a.progress) {
        progress_break(&s->prog);
        fprintf(stderr, "step %lld: validation loss %.4f\n", (long long)step, v);
        fflush(stderr);
    }
    return FG_OK;
}

static fg_status save_model(run_state *s, fg_error *err) {
    const char *dir = fg_api->run_dir(s->run);
    char path[4096];
    const int n = snprintf(path, sizeof(path), "%s/model.safetensors",
                           dir != NULL && dir[0] != '\0' ? dir : ".");
    if (n < 0 || (size_t)n >= sizeof(path)) {
        fg_api->error_set(err, FG_E_IO, "simple: run directory path is too long: '%s'", dir);
        return FG_E_IO;
    }
    fg_status st = fg_api->save_safetensors(path, s->n_params, s->params, err);
    if (st == FG_OK) fg_api->log(FG_LOG_INFO, "simple: saved %s", path);
    return st;
}

/* A first record (step 0) says what is being trained: parameter count and the bytes of
 * optimizer state, when the optimizer reports them (vtable slot of ABI 1.1). */
static fg_status log_setup(run_state *s, fg_error *err) {
    double n_elements = 0.0;
    for (uint64_t i = 0; i < s->n_params; i++) n_elements += (double)fg_api->tensor_numel(s->params[i]);
    const fg_optimizer_vtbl *vt = s->opt_vt;
    const int has_state = vt->base.struct_size >= offsetof(fg_optimizer_vtbl, state_bytes) + sizeof vt->state_bytes &&
                          vt->state_bytes != NULL;
    const char *const keys[] = {"parameters", "optimizer_state_bytes"};
    const double values[] = {n_elements, has_state ? (double)vt->state_bytes(s->opt) : -1.0};
    return fg_api->run_log(s->run, 0, has_state ? 2 : 1, keys, values, err);
}

static trainer_position position_of(const run_state *s, int64_t step) {
    return (trainer_position){step, s->rng, s->drop_rng, s->loss_sum, s->window_steps};
}

static fg_status save_checkpoint(run_state *s, int64_t step, fg_error *err) {
    trainer_position pos = position_of(s, step);
    char dir[4200];
    fg_status st = checkpoint_save(s->t, s->run, &pos, s->n_params, s->params, s->opt, s->opt_vt, dir,
                                   sizeof dir, err);
    return st == FG_OK ? emit(s, step, CALLBACK_SAVE, 0, NULL, NULL, dir, err) : st;
}

/* Continues from the checkpoint the run was started with, if any. */
static fg_status resume(run_state *s, fg_error *err) {
    const char *dir = fg_api->run_resume_dir(s->run);
    const int can_save = checkpoint_supported(s->opt_vt);
    if (s->t->a.save_steps > 0 && !can_save) {
        fg_api->error_set(err, FG_E_UNSUPPORTED,
                          "simple: save_steps is set but the optimizer '%s' cannot save its state",
                          fg_api->partial_name(s->t->optimizer));
        return FG_E_UNSUPPORTED;
    }
    if (dir == NULL) return FG_OK;
    if (!can_save) {
        fg_api->error_set(err, FG_E_UNSUPPORTED, "simple: the optimizer '%s' cannot load saved state",
                          fg_api->partial_name(s->t->optimizer));
        return FG_E_UNSUPPORTED;
    }
    trainer_position pos = {0};
    fg_status st = checkpoint_load(s->t, dir, &pos, s->n_params, s->params, s->opt, s->opt_vt, err);
    if (st != FG_OK) return st;
    if (pos.step < 0 || pos.step > s->t->a.max_steps) {
        fg_api->error_set(err, FG_E_RANGE, "simple: %s is at step %lld, outside this run's max_steps %lld", dir,
                          (long long)pos.step, (long long)s->t->a.max_steps);
        return FG_E_RANGE;
    }
    s->start_step = pos.step;
    s->rng = pos.rng;
    s->drop_rng = pos.drop_rng;
    s->loss_sum = pos.loss_sum;
    s->window_steps = pos.window_steps;
    fg_api->log(FG_LOG_INFO, "simple: resumed at step %lld", (long long)pos.step);
    return FG_OK;
}

/* A callback asked for a checkpoint: possible only when the optimizer can save its
 * state; otherwise say so once and carry on. */
static int save_requested_ok(run_state *s) {
    if (checkpoint_supported(s->opt_vt)) return 1;
    if (!s->warned_no_save)
        fg_api->log(FG_LOG_WARN, "simple: a callback asked for a checkpoint, but the optimizer '%s' cannot "
                                 "save its state; no checkpoint is written",
                    fg_api->partial_name(s->t->optimizer));
    s->warned_no_save = 1;
    return 0;
}

static fg_status run_loop(run_state *s, fg_error *err) {
    simple_trainer *t = s->t;
    const trainer_args *a = &t->a;
    const int do_eval = t->eval_ds != NULL && a->eval_batches > 0;
    int64_t step = s->start_step, last_eval = -1;
    double grad_norm = 0.0, lr = 0.0;
    fg_status st = log_setup(s, err);
    if (st != FG_OK) return st;
    s->t_start = fg_api->now();
    if ((st = emit(s, step, CALLBACK_TRAIN_BEGIN, 0, NULL, NULL, NULL, err)) != FG_OK) return st;
    while (step < a->max_steps) {
        if (fg_api->run_interrupted(s->run)) {
            progress_break(&s->prog);
            fg_api->log(FG_LOG_WARN, "simple: interrupted after step %lld; saving and stopping",
                        (long long)step);
            if (checkpoint_supported(s->opt_vt) && (st = save_checkpoint(s, step, err)) != FG_OK) return st;
            if (a->save_model && (st = save_model(s, err)) != FG_OK) return st;
            return emit(s, step, CALLBACK_TRAIN_END, 0, NULL, NULL, NULL, err);
        }
        const double t0 = fg_api->now();
        double loss = 0.0;
        if ((st = train_step(s, step + 1, &loss, &grad_norm, &lr, err)) != FG_OK) return st;
        step++;
        s->lr = lr;
        memset(&s->ctl, 0, sizeof s->ctl);
        if ((st = emit(s, step, CALLBACK_STEP_END, 0, NULL, NULL, NULL, err)) != FG_OK) return st;
        const double dt = fg_api->now() - t0;
        s->step_time_total += dt;
        s->window_time += dt;
        s->loss_sum += loss;
        s->window_steps++;
        if (a->logging_steps > 0 && (step % a->logging_steps == 0 || step == a->max_steps) &&
            (st = log_step(s, step, grad_norm, lr, err)) != FG_OK)
            return st;
        if (do_eval && a->eval_steps > 0 && step % a->eval_steps == 0) {
            if ((st = evaluate(s, step, err)) != FG_OK) return st;
            last_eval = step;
        }
        const int scheduled = a->save_steps > 0 && (step % a->save_steps == 0 || step == a->max_steps);
        const int requested = (s->ctl.should_save || s->ctl.should_stop) && save_requested_ok(s);
        const int stop = s->ctl.should_stop;
        if ((scheduled || requested) && (st = save_checkpoint(s, step, err)) != FG_OK) return st;
        if (stop) {
            progress_break(&s->prog);
            fg_api->log(FG_LOG_INFO, "simple: a callback stopped training after step %lld", (long long)step);
            break;
        }
    }
    if (do_eval && last_eval != step) {
        /* the last evaluation's requests count too: a best-so-far final model is saved */
        memset(&s->ctl, 0, sizeof s->ctl);
        if ((st = evaluate(s, step, err)) != FG_OK) return st;
        if ((s->ctl.should_save || s->ctl.should_stop) && save_requested_ok(s) &&
            (st = save_checkpoint(s, step, err)) != FG_OK)
            return st;
    }
    progress_break(&s->prog);
    if (a->save_model && (st = save_model(s, err)) != FG_OK) return st;
    if ((st = emit(s, step, CALLBACK_TRAIN_END, 0, NULL, NULL, NULL, err)) != FG_OK) return st;
    return sample_print(t, s->run, &s->rng, err);
}

fg_status trainer_train(void *self, fg_run *run, fg_error *err) {
    run_state s;
    memset(&s, 0, sizeof(s));
    s.t = self;
    s.run = run;
    progress_init(&s.prog);
    fg_status st = prepare(&s, err);
    if (st == FG_OK) st = make_optimizer(&s, err);
    if (st == FG_OK) st = resume(&s, err);
    if (st == FG_OK) st = run_loop(&s, err);
    progress_break(&s.prog); /* an error message must not land on the progress line */
    return st;
}
