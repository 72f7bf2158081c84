#include "checkpoint_rank.h"

#include "monitor.h"

#include <math.h>
#include <string.h>

int rank_qualifies(const rank_list *r, int64_t k, double value) {
    if (!isfinite(value) || k == 0) return 0;
    if (k < 0 || r->n < (uint64_t)k) return 1;
    return monitor_better(r->maximize, value, r->items[k - 1].value, 0.0);
}

fg_status rank_insert(rank_list *r, rank_entry e, fg_error *err) {
    if (r->n == r->cap) {
        const uint64_t cap = r->cap ? 2 * r->cap : 8;
        rank_entry *grown = fg_api->alloc(cap * sizeof *grown);
        if (grown == NULL) {
            fg_api->error_set(err, FG_E_NOMEM, "model_checkpoint: out of memory for %llu checkpoints",
                              (unsigned long long)cap);
            return FG_E_NOMEM;
        }
        if (r->n > 0) memcpy(grown, r->items, r->n * sizeof *grown);
        fg_api->free(r->items);
        r->items = grown;
        r->cap = cap;
    }
    uint64_t at = 0;
    while (at < r->n && !monitor_better(r->maximize, e.value, r->items[at].value, 0.0)) at++;
    memmove(r->items + at + 1, r->items + at, (r->n - at) * sizeof *r->items);
    r->items[at] = e;
    r->n++;
    return FG_OK;
}

int rank_pop_worst(rank_list *r, int64_t k, rank_entry *out) {
    if (k < 0 || r->n <= (uint64_t)k) return 0;
    *out = r->items[--r->n];
    return 1;
}

int rank_contains(const rank_list *r, int64_t step) {
    for (uint64_t i = 0; i < r->n; i++)
        if (r->items[i].step == step) return 1;
    return 0;
}

void rank_clear(rank_list *r) { r->n = 0; }

void rank_free(rank_list *r) {
    fg_api->free(r->items);
    r->items = NULL;
    r->n = r->cap = 0;
}
