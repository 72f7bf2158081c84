/* Private to the simple_trainer plugin: the trainer object and the pieces of a run. */
#ifndef FG_PLUGIN_SIMPLE_TRAINER_H
#define FG_PLUGIN_SIMPLE_TRAINER_H

#include <forgather/plugin.h>

/* The `args` map, read once in create (config values are only valid there). */
typedef struct trainer_args {
    int64_t batch_size, seq_len, max_steps, eval_steps, eval_batches, logging_steps;
    int64_t sample_tokens;
    double max_grad_norm, temperature;
    uint64_t seed;
    char *sample_prompt; /* owned copy */
    int32_t save_model;
    int32_t progress; /* the built-in progress and validation lines on stderr */
    int64_t save_steps; /* checkpoint every this many steps; 0 = only when interrupted */
} trainer_args;

typedef struct simple_trainer {
    const fg_trainer_vtbl *vt;
    /* host-owned objects and partials */
    void *model;
    const fg_model_vtbl *model_vt;
    void *tokenizer; /* optional */
    const fg_tokenizer_vtbl *tok_vt;
    void *train_ds;
    const fg_dataset_vtbl *train_vt;
    void *eval_ds; /* optional */
    const fg_dataset_vtbl *eval_vt;
    const fg_partial *optimizer, *lr_scheduler; /* lr_scheduler optional */
    trainer_args a;
    void *const *callbacks; /* host-owned; callback_vts is ours */
    const fg_callback_vtbl **callback_vts;
    uint64_t n_callbacks;
    /* run resources, made by train() and freed by destroy() */
    fg_graph *g;
    int32_t *window;  /* seq_len + 1 tokens read from a dataset */
    int64_t *offsets; /* batch_size window offsets of the batch being built */
} simple_trainer;

/* Checks that `obj` (from the config slot `key`) has a vtable of `kind` holding at
 * least min_size bytes of slots, and returns it. */
fg_status trainer_object_vt(void *obj, int32_t kind, uint32_t min_size, const char *key,
                            const void **vt, fg_error *err);

/* Progress on stderr: one line rewritten in place on a terminal, else one per update. */
typedef struct progress {
    int tty;
    int open; /* an in-place line is on screen without its newline */
} progress;

void progress_init(progress *p);
void progress_update(progress *p, int64_t step, int64_t max_steps, double loss, double lr,
                     double tokens_per_s, double eta_s);
/* Ends an in-place line so other output starts on a line of its own. */
void progress_break(progress *p);

/* A [B, T] batch on graph g: row b is ds[offsets[b] .. +T], targets shifted by one. */
fg_status batch_fill(simple_trainer *t, fg_graph *g, void *ds, const fg_dataset_vtbl *vt,
                     const int64_t *offsets, int64_t B, int64_t T, fg_tensor **inputs,
                     fg_tensor **targets, fg_error *err);

/* Reads the scalar loss as a double; FG_E_NUMERIC when not finite. */
fg_status loss_value(fg_tensor *loss, int64_t step, const char *phase, double *out, fg_error *err);

/* Mean loss over eval_batches batches at fixed, evenly spaced offsets. */
fg_status eval_loss(simple_trainer *t, int64_t T, int64_t step, double *out, fg_error *err);

/* Generates sample_tokens tokens after sample_prompt and prints them to stdout. */
fg_status sample_print(simple_trainer *t, fg_run *run, uint64_t *rng, fg_error *err);

/* Where a run stands: what a checkpoint must restore for the losses to continue exactly. */
typedef struct trainer_position {
    int64_t step;         /* updates done */
    uint64_t rng;         /* batch offsets */
    uint64_t drop_rng;    /* dropout seeds */
    double loss_sum;      /* losses since the last log record */
    int64_t window_steps;
} trainer_position;

/* 1 when the optimizer can save and load its state (vtable slots of ABI 1.1). */
int checkpoint_supported(const fg_optimizer_vtbl *vt);
/* Also saves/loads the callbacks' state. On success *dir_out (when not NULL) names the
 * committed checkpoint directory. */
fg_status checkpoint_save(const simple_trainer *t, fg_run *run, const trainer_position *pos,
                          uint64_t n_params, fg_tensor *const *params, void *opt,
                          const fg_optimizer_vtbl *opt_vt, char *dir_out, size_t cap, fg_error *err);
fg_status checkpoint_load(simple_trainer *t, const char *dir, trainer_position *pos, uint64_t n_params,
                          fg_tensor *const *params, void *opt, const fg_optimizer_vtbl *opt_vt,
                          fg_error *err);

/* Callbacks (callbacks.c). */
typedef enum callback_event {
    CALLBACK_TRAIN_BEGIN,
    CALLBACK_STEP_END,
    CALLBACK_LOG,
    CALLBACK_EVALUATE,
    CALLBACK_SAVE,
    CALLBACK_TRAIN_END,
} callback_event;
fg_status callbacks_read(simple_trainer *t, const fg_params *params, fg_error *err);
/* Calls hook `ev` of every callback in order; m for LOG/EVALUATE, checkpoint_dir for
 * SAVE, ctl (may be NULL for BEGIN/SAVE/END) collects their requests. */
fg_status callbacks_emit(simple_trainer *t, fg_run *run, callback_event ev, const fg_train_state *state,
                         const fg_metrics *m, const char *checkpoint_dir, fg_train_control *ctl,
                         fg_error *err);
fg_status callbacks_save_state(const simple_trainer *t, const char *dir, fg_error *err);
fg_status callbacks_load_state(simple_trainer *t, const char *dir, fg_error *err);

fg_status trainer_train(void *self, fg_run *run, fg_error *err);

#endif
