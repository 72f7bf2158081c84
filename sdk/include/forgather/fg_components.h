/* Object vtables, one per kind. An object is `struct { const <kind>_vtbl *vt; ... }`;
 * every vtable begins with fg_vtbl_header. Slots are only ever appended. */
#ifndef FORGATHER_FG_COMPONENTS_H
#define FORGATHER_FG_COMPONENTS_H

#include "fg_types.h"

FG_BEGIN_DECLS

/* What the owner passes to a factory at creation time, besides the validated config.
 * Fields that do not apply to a kind are zero/NULL. */
typedef struct fg_create_args {
    uint32_t struct_size;
    int32_t layer_index;          /* layers: index of the block, -1 otherwise */
    fg_scope *scope;              /* where parameters are created (models, layers) */
    int64_t d_model;              /* layers: width of the residual stream */
    int64_t max_seq_len;          /* layers: longest sequence the model accepts */
    int64_t num_layers;           /* layers: depth of the model (for init scaling) */
    fg_tensor *const *params;     /* optimizers: the parameters to update */
    uint64_t n_params;
    int64_t total_steps;          /* lr schedules: length of training */
} fg_create_args;

/* Code generation (ABI 1.3, optional): writes the body of the C function that computes
 * what forward computes, for a standalone program (`fgrun code`; see fg_codegen in
 * fg_host_api.h for the function each kind writes and the services it may call). NULL
 * when the component cannot be exported; the host then names it in its error. */
typedef fg_status (*fg_emit_code_fn)(const void *self, fg_codegen *cg, fg_error *err);

/* attention, feedforward, norm, block, positional, embedding:
 * x [B, T, d_model] -> *out [B, T, d_model]. Built from host ops on graph g. */
typedef struct fg_layer_vtbl {
    fg_vtbl_header base;
    fg_status (*forward)(void *self, fg_graph *g, fg_tensor *x, fg_tensor **out, fg_error *err);
    fg_emit_code_fn emit_code; /* ABI 1.3, optional */
} fg_layer_vtbl;

/* A language model: tokens [B, T] int32 -> logits [B, T, vocab]; with targets [B, T]
 * also the mean cross-entropy loss (a scalar). Either output pointer may be NULL. */
typedef struct fg_model_vtbl {
    fg_vtbl_header base;
    fg_status (*forward)(void *self, fg_graph *g, fg_tensor *tokens, fg_tensor *targets,
                         fg_tensor **logits, fg_tensor **loss, fg_error *err);
    int64_t (*vocab_size)(const void *self);
    int64_t (*max_seq_len)(const void *self);
    fg_emit_code_fn emit_code; /* ABI 1.3, optional */
} fg_model_vtbl;

/* Updates the parameters it was created with from their gradients.
 * lr_factor comes from the LR schedule and multiplies every group's base lr. */
typedef struct fg_optimizer_vtbl {
    fg_vtbl_header base;
    fg_status (*step)(void *self, double lr_factor, fg_error *err);
    double (*base_lr)(const void *self);
    /* ABI 1.1, optional: bytes of optimizer state (moments, projections) it holds. */
    uint64_t (*state_bytes)(const void *self);
    /* ABI 1.1, optional: everything a resumed run needs to continue bit for bit (moments,
     * step counts, seeds, projections), moved with fg_api->state_array (written on save,
     * read back on load, under the same names). load_state runs on a freshly created
     * optimizer over the same parameters. */
    fg_status (*save_state)(const void *self, fg_state *state, fg_error *err);
    fg_status (*load_state)(void *self, fg_state *state, fg_error *err);
} fg_optimizer_vtbl;

/* Multiplier of the base learning rate at `step` (0-based, before the update). */
typedef struct fg_lr_schedule_vtbl {
    fg_vtbl_header base;
    double (*factor)(const void *self, int64_t step);
} fg_lr_schedule_vtbl;

typedef struct fg_tokenizer_vtbl {
    fg_vtbl_header base;
    int64_t (*vocab_size)(const void *self);
    /* Writes at most `cap` ids; *n_out is the number the whole text needs. */
    fg_status (*encode)(const void *self, const char *text, size_t len, int32_t *ids,
                        size_t cap, size_t *n_out, fg_error *err);
    /* Writes at most `cap` bytes (NUL-terminated when room); *len_out as above. */
    fg_status (*decode)(const void *self, const int32_t *ids, size_t n, char *text,
                        size_t cap, size_t *len_out, fg_error *err);
    fg_emit_code_fn emit_code; /* ABI 1.3, optional */
} fg_tokenizer_vtbl;

/* A token stream that can be read at any offset. */
typedef struct fg_dataset_vtbl {
    fg_vtbl_header base;
    int64_t (*num_tokens)(const void *self);
    fg_status (*read)(const void *self, int64_t offset, int64_t n, int32_t *out, fg_error *err);
} fg_dataset_vtbl;

/* ---- callbacks (ABI 1.2) -----------------------------------------------------------
 * A trainer tells its callbacks where training stands; callbacks may ask it to save a
 * checkpoint or to stop. Every hook is optional (NULL). Hooks run on the main thread
 * between steps, in the order the callbacks are listed. */
typedef struct fg_train_state {
    uint32_t struct_size;
    int64_t step;         /* optimizer updates done */
    int64_t max_steps;
    double epoch;         /* fraction of the training data seen */
    double lr;            /* learning rate of the last update (0 before the first) */
    double elapsed_s;     /* wall time since training (or this resumed part) began */
    int64_t tokens_seen;  /* training tokens consumed */
} fg_train_state;

/* Requests from callbacks, read by the trainer after each hook. */
typedef struct fg_train_control {
    int32_t should_save;  /* write a checkpoint after this step */
    int32_t should_stop;  /* end training after this step (with a checkpoint) */
} fg_train_control;

/* Named numbers of one event: a training log (loss, lr, grad_norm, tokens_per_s, ...) or
 * an evaluation (eval_loss). */
typedef struct fg_metrics {
    uint32_t n;
    const char *const *keys;
    const double *values;
} fg_metrics;

typedef struct fg_callback_vtbl {
    fg_vtbl_header base;
    fg_status (*on_train_begin)(void *self, fg_run *run, const fg_train_state *st, fg_error *err);
    /* After each optimizer update. */
    fg_status (*on_step_end)(void *self, fg_run *run, const fg_train_state *st,
                             fg_train_control *ctl, fg_error *err);
    /* Every logging_steps: the training metrics since the last log. */
    fg_status (*on_log)(void *self, fg_run *run, const fg_train_state *st, const fg_metrics *m,
                        fg_train_control *ctl, fg_error *err);
    /* After an evaluation. */
    fg_status (*on_evaluate)(void *self, fg_run *run, const fg_train_state *st,
                             const fg_metrics *m, fg_train_control *ctl, fg_error *err);
    /* After a checkpoint of step st->step was committed to `checkpoint_dir`. */
    fg_status (*on_save)(void *self, fg_run *run, const fg_train_state *st,
                         const char *checkpoint_dir, fg_error *err);
    /* Once at the end, also when training stopped early or was interrupted. */
    fg_status (*on_train_end)(void *self, fg_run *run, const fg_train_state *st, fg_error *err);
    /* Optional: what a resumed run needs to continue (best metric, patience counters),
     * moved with fg_api->state_array as an optimizer's state is. */
    fg_status (*save_state)(const void *self, fg_state *state, fg_error *err);
    fg_status (*load_state)(void *self, fg_state *state, fg_error *err);
} fg_callback_vtbl;

/* The config's main target. */
typedef struct fg_trainer_vtbl {
    fg_vtbl_header base;
    fg_status (*train)(void *self, fg_run *run, fg_error *err);
} fg_trainer_vtbl;

FG_END_DECLS

#endif
