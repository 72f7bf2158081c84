#include "generate/sampler.h"

#include "memory/alloc.h"
#include "util/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

fg_status fg_sampling_check(const fg_sampling *s, fg_error *err) {
    if (!(s->temperature >= 0.0) || !isfinite(s->temperature))
        return fg_error_set(err, FG_E_RANGE, "temperature must be a number >= 0 (0: greedy), got %g", s->temperature);
    if (s->top_k < 0)
        return fg_error_set(err, FG_E_RANGE, "top-k must be >= 0 (0: off), got %lld", (long long)s->top_k);
    if (!(s->top_p > 0.0 && s->top_p <= 1.0))
        return fg_error_set(err, FG_E_RANGE, "top-p must be in (0, 1] (1: off), got %g", s->top_p);
    return FG_OK;
}

fg_status fg_sampler_init(fg_sampler *sp, const fg_sampling *s, int64_t n, fg_error *err) {
    memset(sp, 0, sizeof *sp);
    fg_status st = fg_sampling_check(s, err);
    if (st != FG_OK) return st;
    if (n < 1 || n > INT32_MAX) return fg_error_set(err, FG_E_RANGE, "sampler: %lld candidate tokens", (long long)n);
    sp->entries = fg_alloc((size_t)n * sizeof *sp->entries);
    if (sp->entries == NULL) return fg_error_set(err, FG_E_NOMEM, "sampler: out of memory for %lld tokens", (long long)n);
    sp->s = *s;
    sp->n = n;
    return FG_OK;
}

void fg_sampler_free(fg_sampler *sp) {
    fg_free(sp->entries);
    memset(sp, 0, sizeof *sp);
}

/* Most likely first; equal weights by id, so that top-k 1 picks what greedy picks. */
static int by_weight(const void *a, const void *b) {
    const fg_sampler_entry *x = a, *y = b;
    if (x->weight != y->weight) return x->weight > y->weight ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Fills entries[0..kept) with the kept ids and their weights; *total is their sum. */
static int64_t keep(fg_sampler *sp, const float *logits, double *total) {
    fg_sampler_entry *e = sp->entries;
    int64_t best = 0;
    for (int64_t i = 1; i < sp->n; i++)
        if (logits[i] > logits[best]) best = i;
    if (sp->s.temperature == 0.0) {
        e[0] = (fg_sampler_entry){1.0, (int32_t)best};
        *total = 1.0;
        return 1;
    }
    const double mx = logits[best];
    for (int64_t i = 0; i < sp->n; i++) e[i] = (fg_sampler_entry){exp(((double)logits[i] - mx) / sp->s.temperature), (int32_t)i};
    int64_t kept = sp->n;
    const int top_k = sp->s.top_k > 0 && sp->s.top_k < sp->n;
    if (top_k || sp->s.top_p < 1.0) {
        qsort(e, (size_t)sp->n, sizeof *e, by_weight);
        if (top_k) kept = sp->s.top_k;
    }
    double mass = 0.0;
    for (int64_t j = 0; j < kept; j++) mass += e[j].weight;
    if (sp->s.top_p < 1.0) {
        /* the relative slack keeps rounding from adding a token when the mass is p exactly */
        const double target = sp->s.top_p * mass * (1.0 - 1e-12);
        double cum = 0.0;
        for (int64_t j = 0; j < kept; j++) {
            cum += e[j].weight;
            if (cum >= target) {
                kept = j + 1;
                mass = cum;
                break;
            }
        }
    }
    *total = mass;
    return kept;
}

int64_t fg_sampler_distribution(fg_sampler *sp, const float *logits, double *probs) {
    double total = 0.0;
    const int64_t kept = keep(sp, logits, &total);
    memset(probs, 0, (size_t)sp->n * sizeof *probs);
    for (int64_t j = 0; j < kept; j++) probs[sp->entries[j].id] = sp->entries[j].weight / total;
    return kept;
}

int32_t fg_sampler_draw(fg_sampler *sp, const float *logits, double u) {
    double total = 0.0;
    const int64_t kept = keep(sp, logits, &total);
    const double target = u * total;
    double acc = 0.0;
    for (int64_t j = 0; j < kept; j++) {
        acc += sp->entries[j].weight;
        if (target < acc) return sp->entries[j].id;
    }
    return sp->entries[kept - 1].id; /* only reached through rounding at the very end */
}
