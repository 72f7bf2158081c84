/* Private to the model_checkpoint plugin: the callback object shared by its files. */
#ifndef FG_CALLBACKS_MODEL_CHECKPOINT_H
#define FG_CALLBACKS_MODEL_CHECKPOINT_H

#include "checkpoint_rank.h"

#define MC_BEST_FILE "best_checkpoints.json"

typedef struct model_checkpoint {
    const fg_callback_vtbl *vt;
    char *monitor; /* owned */
    int32_t maximize;
    int64_t top_k;   /* -1: keep all, 0: none */
    int64_t every_n; /* 0: every report */
    rank_list kept;  /* the best top_k checkpoints it asked for */
    /* Evicted checkpoints of this run still named by `latest`: removed once it moves on. */
    int64_t *deferred;
    uint64_t n_deferred, cap_deferred;
    /* The save it asked for in the current step, recorded by on_save. */
    int32_t has_pending;
    int64_t pending_step;
    double pending_value;
    char *inherited_dir; /* run directory of restored (inherited) entries, or NULL; owned */
} model_checkpoint;

/* model_checkpoint_state.c */
fg_status mc_save_state(const void *self, fg_state *state, fg_error *err);
fg_status mc_load_state(void *self, fg_state *state, fg_error *err);

/* model_checkpoint_json.c: writes <run_dir>/best_checkpoints.json from mc->kept. */
fg_status mc_write_best(const model_checkpoint *mc, const char *run_dir, fg_error *err);

#endif
