/* APOLLO internals shared by apollo.c (factories, parameters, the step loop) and
 * apollo_projection.c (the seeded projection generator and the projected update).
 * Not an SDK header: nothing outside the apollo plugin includes it. */
#ifndef FORGATHER_PLUGIN_APOLLO_H
#define FORGATHER_PLUGIN_APOLLO_H

#include <forgather/plugin.h>

/* One parameter. rank 0 means the plain (HF-legacy) AdamW path with full-size moments;
 * rank > 0 means a projected 2-D matrix whose moments have rank*max(rows, cols) entries. */
typedef struct apollo_param {
    fg_tensor *tensor;
    int64_t numel, rows, cols, rank;
    float *m, *v;    /* slices of the optimizer's one state buffer */
    int64_t step;    /* per parameter: a tensor without a grad is not stepped */
    uint64_t seed;   /* seed of the current projection (the matrix itself is regenerated) */
    double nl_prev;  /* norm-growth limiter: ||S|| after the previous step; < 0 before it */
} apollo_param;

typedef struct apollo {
    const fg_optimizer_vtbl *vt;
    double lr, beta1, beta2, eps, weight_decay, scale;
    int64_t rank_cfg; /* as configured: 0 = automatic per matrix */
    int64_t update_proj_gap;
    int32_t tensor_scaling; /* scale_type: 0 channel, 1 tensor */
    int32_t limiter;        /* norm-growth limiter on */
    uint64_t seed;
    const char *name;       /* factory name, for messages */
    uint64_t n_params;
    apollo_param *params;
    float *state;           /* one allocation: m and v of every parameter */
    uint64_t state_bytes;
    int64_t work_floats, work_doubles; /* per-step scratch of the largest projected matrix */
} apollo;

/* Scratch for one projected update, allocated for the length of a step() call only (it
 * is not optimizer state: nothing in it survives the step). */
typedef struct apollo_work {
    float *proj; /* P: rank x cols (rows >= cols) or rows x rank (rows < cols) */
    float *low;  /* R, the projected gradient: rows x rank or rank x cols */
    double *r2, *n2, *g2, *fac; /* per channel (max(rows, cols) entries) */
} apollo_work;

/* The documented generator (see apollo_projection.c); the test reproduces it in NumPy. */
uint64_t apollo_mix64(uint64_t z);
uint64_t apollo_first_seed(uint64_t seed, uint64_t index);
uint64_t apollo_next_seed(uint64_t s);
void apollo_gaussian_fill(uint64_t seed, int64_t n, double scale, float *out, int nth);

/* HF-legacy AdamW (APOLLO's inner optimizer) on a tensor with full-size moments. */
void apollo_adamw_update(const apollo *o, apollo_param *pp, float *p, const float *g,
                         double lr, int nth);
/* One APOLLO update of a 2-D parameter (pp->rank > 0). */
void apollo_projected_update(const apollo *o, apollo_param *pp, float *p, const float *g,
                             double lr, const apollo_work *w, int nth);

#endif
