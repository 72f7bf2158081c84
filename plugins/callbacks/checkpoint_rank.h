/* The best checkpoints of model_checkpoint, ranked by their monitored value: best first,
 * and among equal values the earlier step first. */
#ifndef FG_CALLBACKS_CHECKPOINT_RANK_H
#define FG_CALLBACKS_CHECKPOINT_RANK_H

#include <forgather/plugin.h>

typedef struct rank_entry {
    int64_t step;
    double value;
    int32_t inherited; /* restored from a checkpoint: lives in the previous run's directory */
} rank_entry;

typedef struct rank_list {
    rank_entry *items; /* fg_api->alloc'd */
    uint64_t n, cap;
    int32_t maximize;
} rank_list;

/* 1 when a checkpoint with `value` would be among the best k (k < 0: all, 0: none): there
 * are fewer than k, or it beats the k-th strictly (a tie keeps the older one). NaN and
 * infinities never qualify (they cannot be written as JSON and rank nothing). */
int rank_qualifies(const rank_list *r, int64_t k, double value);
/* Inserts e at its rank (after the entries it does not beat). */
fg_status rank_insert(rank_list *r, rank_entry e, fg_error *err);
/* 1 and *out = the worst entry, removed, when more than k (k >= 0) are ranked; else 0. */
int rank_pop_worst(rank_list *r, int64_t k, rank_entry *out);
/* 1 when `step` is ranked. */
int rank_contains(const rank_list *r, int64_t step);
void rank_clear(rank_list *r);
void rank_free(rank_list *r);

#endif
