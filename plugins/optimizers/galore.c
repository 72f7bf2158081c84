/* GaLore-AdamW (Zhao et al., ICML 2024; jiaweizzhao/GaLore galore_torch/adamw.py).
 *
 * The inner optimizer is the HF-legacy AdamW GaLore ships, not torch.optim.AdamW: eps is
 * added to sqrt(v) BEFORE the bias correction, and weight decay is applied AFTER the update,
 * to the updated weights. Per parameter, with t its step count (pre-increment at the SVD
 * test) and lr = base lr * lr_factor:
 *     2-D:  if t % update_proj_gap == 0: refresh the basis from the SVD of g
 *           g = project(g)                          (moments live in the low-rank shape)
 *     t += 1
 *     m = b1*m + (1-b1)*g ;  v = b2*v + (1-b2)*g*g
 *     n = m / (sqrt(v) + eps)
 *     2-D:  n = scale * project_back(n)
 *     p -= lr*sqrt(1-b2^t)/(1-b1^t) * n
 *     if wd > 0: p -= lr*wd*p
 * Other ranks (vectors, >2-D) run the same AdamW without a projection. The moments are not
 * reset when the basis changes (as in the reference). See galore_projector.c for the SVD
 * and its sign convention. */
#include "galore_projector.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct galore_param {
    fg_tensor *tensor;
    const char *name;
    int64_t numel;     /* of the parameter */
    int64_t low_numel; /* of the moments: numel, or the projected shape for matrices */
    int projected;     /* 2-D: runs through the projector */
    galore_projector proj;
    float *m, *v;      /* slices of the state buffer */
    int64_t step;      /* per parameter: a tensor without a grad is not stepped */
} galore_param;

typedef struct galore {
    const fg_optimizer_vtbl *vt;
    double lr, beta1, beta2, eps, weight_decay, scale;
    int64_t rank, update_proj_gap;
    int32_t proj_type;
    uint64_t n_params;
    galore_param *params;
    float *state;   /* projections and moments of every parameter, one allocation */
    float *scratch; /* projected gradient and GEMM intermediate, sized for the largest */
    uint64_t state_bytes;
} galore;

static const char *const proj_types[] = {"std", "reverse_std", "left", "right", "full", NULL};

/* HF-legacy Adam on `g` (n values, possibly the projected gradient), in place: g becomes
 * the normalised update m / (sqrt(v) + eps). fp32 as torch applies it to fp32 tensors. */
static void adam_moments(const galore *o, galore_param *pp, float *g, int64_t n) {
    const float b1 = (float)o->beta1, w1 = (float)(1.0 - o->beta1);
    const float b2 = (float)o->beta2, w2 = (float)(1.0 - o->beta2);
    const float eps = (float)o->eps;
    float *m = pp->m, *v = pp->v;
    int nth = fg_api->num_threads();
    if (nth < 1) nth = 1;
    /* elementwise, so the thread count never changes the result */
#pragma omp parallel for schedule(static) num_threads(nth) if (n >= 16384)
    for (int64_t i = 0; i < n; i++) {
        const float gi = g[i];
        const float mi = m[i] * b1 + w1 * gi;
        const float vi = v[i] * b2 + w2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        g[i] = mi / (sqrtf(vi) + eps);
    }
}

/* p += alpha * n, then the decoupled decay p += (-lr*wd) * p when wd > 0. */
static void apply_update(float *p, const float *n, float alpha, float decay, int decay_on,
                         int64_t numel) {
    int nth = fg_api->num_threads();
    if (nth < 1) nth = 1;
#pragma omp parallel for schedule(static) num_threads(nth) if (numel >= 16384)
    for (int64_t i = 0; i < numel; i++) {
        float pi = p[i];
        if (n != NULL) pi = pi + alpha * n[i];
        if (decay_on) pi = pi + decay * pi;
        p[i] = pi;
    }
}

static fg_status galore_update(galore *o, galore_param *pp, float *p, const float *g, double lr,
                               fg_error *err) {
    float *low = o->scratch, *mid = o->scratch + pp->low_numel;
    if (pp->projected) {
        if (pp->step % o->update_proj_gap == 0) {
            fg_status st = galore_projector_refresh(&pp->proj, g, pp->name, err);
            if (st != FG_OK) return st;
        }
        galore_project(&pp->proj, g, low, mid);
    } else {
        memcpy(low, g, sizeof(float) * (size_t)pp->numel);
    }
    pp->step += 1;
    adam_moments(o, pp, low, pp->low_numel);
    const double bc1 = 1.0 - pow(o->beta1, (double)pp->step);
    const double bc2 = 1.0 - pow(o->beta2, (double)pp->step);
    const double step_size = lr * sqrt(bc2) / bc1;
    const int decay_on = o->weight_decay > 0.0;
    const float decay = (float)(-lr * o->weight_decay);
    if (pp->projected) {
        /* reference: p.add_(scale * back(n), alpha=-step_size); the GEMM accumulates into p */
        galore_project_back_add(&pp->proj, low, (float)(-step_size * o->scale), p, mid);
        if (decay_on) apply_update(p, NULL, 0.0f, decay, 1, pp->numel);
    } else {
        apply_update(p, low, (float)(-step_size), decay, decay_on, pp->numel);
    }
    return FG_OK;
}

static fg_status galore_step(void *self, double lr_factor, fg_error *err) {
    galore *o = self;
    if (!isfinite(lr_factor) || lr_factor < 0.0) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "galore: lr_factor %g from the LR schedule is not a finite value >= 0",
                          lr_factor);
        return FG_E_INVALID_ARG;
    }
    const double lr = o->lr * lr_factor;
    for (uint64_t k = 0; k < o->n_params; k++) {
        galore_param *pp = &o->params[k];
        float *g = fg_api->tensor_grad(pp->tensor);
        if (g == NULL) continue; /* frozen or unused this step */
        float *p = fg_api->tensor_data(pp->tensor);
        if (p == NULL) {
            fg_api->error_set(err, FG_E_INTERNAL, "galore: parameter '%s' has no data", pp->name);
            return FG_E_INTERNAL;
        }
        fg_status st = galore_update(o, pp, p, g, lr, err);
        if (st != FG_OK) return st;
    }
    return FG_OK;
}

static double galore_base_lr(const void *self) { return ((const galore *)self)->lr; }
static uint64_t galore_state_bytes(const void *self) { return ((const galore *)self)->state_bytes; }

static void galore_destroy(void *self) {
    galore *o = self;
    if (o == NULL) return;
    fg_api->free(o->scratch);
    fg_api->free(o->state);
    fg_api->free(o->params);
    fg_api->free(o);
}

/* ---- saved state (ABI 1.1) ----
 * Per parameter <name>: "<name>.step" (int64 {1}), "<name>.exp_avg" / "<name>.exp_avg_sq"
 * (fp32, the moments' shape: the projected one for matrices, the parameter's otherwise)
 * and, for projected matrices, the current basis "<name>.proj_left" (rows x rank) and/or
 * "<name>.proj_right" (rank x cols): an SVD basis cannot be regenerated without the
 * gradient it came from. */

static fg_status param_state_io(galore_param *pp, fg_state *state, int saving, fg_error *err) {
    fg_status st;
    const int64_t one[1] = {1};
    int64_t step = pp->step;
    if ((st = fg_api->state_array(state, pp->tensor, "step", FG_DTYPE_I64, 1, one, &step, err)) != FG_OK)
        return st;
    if (!saving) {
        if (step < 0) {
            fg_api->error_set(err, FG_E_INVALID_ARG, "galore: saved state '%s.step' is %lld (< 0)",
                              pp->name, (long long)step);
            return FG_E_INVALID_ARG;
        }
        pp->step = step;
    }
    int64_t shape[FG_MAX_DIMS];
    int32_t ndim;
    if (pp->projected) {
        ndim = 2;
        shape[0] = pp->proj.low_rows;
        shape[1] = pp->proj.low_cols;
    } else {
        ndim = fg_api->tensor_ndim(pp->tensor);
        if (ndim < 0 || ndim > FG_MAX_DIMS) {
            fg_api->error_set(err, FG_E_INTERNAL, "galore: parameter '%s' has rank %d",
                              pp->name, (int)ndim);
            return FG_E_INTERNAL;
        }
        for (int32_t d = 0; d < ndim; d++) shape[d] = fg_api->tensor_dim(pp->tensor, d);
    }
    if (pp->low_numel > 0) {
        if ((st = fg_api->state_array(state, pp->tensor, "exp_avg", FG_DTYPE_F32, ndim, shape, pp->m,
                           err)) != FG_OK ||
            (st = fg_api->state_array(state, pp->tensor, "exp_avg_sq", FG_DTYPE_F32, ndim, shape,
                           pp->v, err)) != FG_OK)
            return st;
    }
    if (!pp->projected) return FG_OK;
    if (pp->proj.left != NULL) {
        const int64_t s[2] = {pp->proj.rows, pp->proj.rank};
        if ((st = fg_api->state_array(state, pp->tensor, "proj_left", FG_DTYPE_F32, 2, s,
                           pp->proj.left, err)) != FG_OK)
            return st;
    }
    if (pp->proj.right != NULL) {
        const int64_t s[2] = {pp->proj.rank, pp->proj.cols};
        if ((st = fg_api->state_array(state, pp->tensor, "proj_right", FG_DTYPE_F32, 2, s,
                           pp->proj.right, err)) != FG_OK)
            return st;
    }
    return FG_OK;
}

static fg_status galore_save_state(const void *self, fg_state *state, fg_error *err) {
    const galore *o = self;
    for (uint64_t k = 0; k < o->n_params; k++) {
        /* saving only reads through the pointer */
        fg_status st = param_state_io(&o->params[k], state, 1, err);
        if (st != FG_OK) return st;
    }
    return FG_OK;
}

static fg_status galore_load_state(void *self, fg_state *state, fg_error *err) {
    galore *o = self;
    for (uint64_t k = 0; k < o->n_params; k++) {
        fg_status st = param_state_io(&o->params[k], state, 0, err);
        if (st != FG_OK) return st;
    }
    return FG_OK;
}

static const fg_optimizer_vtbl galore_vtbl = {
    .base = {sizeof(fg_optimizer_vtbl), FG_KIND_OPTIMIZER, galore_destroy},
    .step = galore_step,
    .base_lr = galore_base_lr,
    .state_bytes = galore_state_bytes,
    .save_state = galore_save_state,
    .load_state = galore_load_state,
};

static fg_status range_error(fg_error *err, const char *what, double got, const char *want) {
    fg_api->error_set(err, FG_E_RANGE, "galore: %s must be %s, got %g", what, want, got);
    return FG_E_RANGE;
}

static fg_status read_params(galore *o, const fg_params *params, fg_error *err) {
    fg_status st;
    const double *betas = NULL;
    uint64_t n_betas = 0;
    const char *proj = NULL;
    if ((st = fg_api->param_float(params, "lr", &o->lr, err)) != FG_OK) return st;
    if ((st = fg_api->param_float_list(params, "betas", &betas, &n_betas, err)) != FG_OK) return st;
    if ((st = fg_api->param_float(params, "eps", &o->eps, err)) != FG_OK) return st;
    if ((st = fg_api->param_float(params, "weight_decay", &o->weight_decay, err)) != FG_OK)
        return st;
    if ((st = fg_api->param_int(params, "rank", &o->rank, err)) != FG_OK) return st;
    if ((st = fg_api->param_int(params, "update_proj_gap", &o->update_proj_gap, err)) != FG_OK)
        return st;
    if ((st = fg_api->param_float(params, "scale", &o->scale, err)) != FG_OK) return st;
    if ((st = fg_api->param_str(params, "proj_type", &proj, err)) != FG_OK) return st;
    /* The spec checks closed ranges and the choices; the open ends are checked here. */
    if (!(o->lr > 0.0)) return range_error(err, "lr", o->lr, "> 0");
    if (!(o->eps > 0.0)) return range_error(err, "eps", o->eps, "> 0");
    if (!(o->scale > 0.0)) return range_error(err, "scale", o->scale, "> 0");
    if (n_betas != 2 || betas == NULL) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "galore: betas must have 2 values [beta1, beta2], got %llu",
                          (unsigned long long)n_betas);
        return FG_E_INVALID_ARG;
    }
    for (int i = 0; i < 2; i++)
        if (!(betas[i] >= 0.0 && betas[i] < 1.0)) {
            fg_api->error_set(err, FG_E_RANGE, "galore: betas[%d] = %g is not in [0, 1)", i,
                              betas[i]);
            return FG_E_RANGE;
        }
    o->beta1 = betas[0];
    o->beta2 = betas[1];
    o->proj_type = -1;
    for (int32_t i = 0; proj != NULL && proj_types[i] != NULL; i++)
        if (strcmp(proj, proj_types[i]) == 0) o->proj_type = i;
    if (o->proj_type < 0) { /* the spec's choices make this unreachable from a config */
        fg_api->error_set(err, FG_E_INVALID_ARG, "galore: unknown proj_type '%s'",
                          proj ? proj : "(null)");
        return FG_E_INVALID_ARG;
    }
    return FG_OK;
}

/* Describes one parameter: plans its projection (2-D) and checks the rank against it.
 * Returns the fp32 count of its state (projection + two moments). */
static fg_status plan_param(galore *o, galore_param *pp, fg_tensor *t, uint64_t k,
                            int64_t *n_state, fg_error *err) {
    if (t == NULL) {
        fg_api->error_set(err, FG_E_INVALID_ARG, "galore: parameter %llu is NULL",
                          (unsigned long long)k);
        return FG_E_INVALID_ARG;
    }
    pp->tensor = t;
    pp->name = fg_api->tensor_name(t);
    if (fg_api->tensor_dtype(t) != FG_DTYPE_F32) {
        fg_api->error_set(err, FG_E_TYPE,
                          "galore: parameter '%s' is not fp32 (dtype %d); galore updates fp32 "
                          "master weights only",
                          pp->name, (int)fg_api->tensor_dtype(t));
        return FG_E_TYPE;
    }
    pp->numel = fg_api->tensor_numel(t);
    pp->low_numel = pp->numel;
    *n_state = 2 * pp->numel;
    if (fg_api->tensor_ndim(t) != 2) return FG_OK; /* vectors etc.: plain AdamW */
    const int64_t rows = fg_api->tensor_dim(t, 0), cols = fg_api->tensor_dim(t, 1);
    const int64_t min_dim = rows < cols ? rows : cols;
    if (o->rank > min_dim) {
        fg_api->error_set(err, FG_E_RANGE,
                          "galore: rank %lld exceeds min(rows, cols) = %lld of '%s' (%lld x %lld)",
                          (long long)o->rank, (long long)min_dim, pp->name, (long long)rows,
                          (long long)cols);
        return FG_E_RANGE;
    }
    if (rows > INT_MAX / 2 || cols > INT_MAX / 2) { /* LAPACK and CBLAS take int sizes */
        fg_api->error_set(err, FG_E_UNSUPPORTED,
                          "galore: parameter '%s' (%lld x %lld) is too large for LAPACK's "
                          "32-bit sizes",
                          pp->name, (long long)rows, (long long)cols);
        return FG_E_UNSUPPORTED;
    }
    pp->projected = 1;
    const int64_t n_proj = galore_projector_plan(&pp->proj, rows, cols, o->rank, o->proj_type);
    pp->low_numel = pp->proj.low_rows * pp->proj.low_cols;
    *n_state = n_proj + 2 * pp->low_numel;
    return FG_OK;
}

static void *alloc_zeroed(size_t bytes) {
    void *p = fg_api->alloc(bytes);
    if (p != NULL) memset(p, 0, bytes);
    return p;
}

static fg_status bind_state(galore *o, const fg_create_args *args, fg_error *err) {
    o->n_params = args->n_params;
    if (o->n_params == 0) return FG_OK;
    o->params = alloc_zeroed(sizeof(galore_param) * o->n_params);
    if (o->params == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "galore: out of memory for %llu parameters",
                          (unsigned long long)o->n_params);
        return FG_E_NOMEM;
    }
    int64_t total = 0, scratch = 0;
    for (uint64_t k = 0; k < o->n_params; k++) {
        galore_param *pp = &o->params[k];
        int64_t n_state = 0;
        fg_status st = plan_param(o, pp, args->params[k], k, &n_state, err);
        if (st != FG_OK) return st;
        total += n_state;
        /* the projected (or copied) gradient, then the GEMM intermediate after it */
        const int64_t need =
            pp->low_numel + (pp->projected ? galore_projector_scratch(&pp->proj) : 0);
        if (need > scratch) scratch = need;
    }
    if (total == 0) return FG_OK;
    o->state_bytes = sizeof(float) * (uint64_t)total;
    o->state = alloc_zeroed((size_t)o->state_bytes);
    o->scratch = alloc_zeroed(sizeof(float) * (size_t)scratch);
    if (o->state == NULL || o->scratch == NULL) {
        fg_api->error_set(err, FG_E_NOMEM,
                          "galore: out of memory for optimizer state (%lld floats)",
                          (long long)total);
        return FG_E_NOMEM;
    }
    float *cur = o->state;
    for (uint64_t k = 0; k < o->n_params; k++) {
        galore_param *pp = &o->params[k];
        if (pp->projected) {
            galore_projector_bind(&pp->proj, cur);
            cur += (pp->proj.left ? pp->proj.rows * pp->proj.rank : 0) +
                   (pp->proj.right ? pp->proj.rank * pp->proj.cols : 0);
        }
        pp->m = cur;
        pp->v = cur + pp->low_numel;
        cur += 2 * pp->low_numel;
    }
    return FG_OK;
}

static fg_status galore_create(const fg_params *params, const fg_create_args *args, void **out,
                               fg_error *err) {
    if (args == NULL || args->struct_size < sizeof(fg_create_args) ||
        (args->n_params > 0 && args->params == NULL)) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "galore: created without a parameter list (create args missing)");
        return FG_E_INVALID_ARG;
    }
    galore *o = alloc_zeroed(sizeof(galore));
    if (o == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "galore: out of memory");
        return FG_E_NOMEM;
    }
    o->vt = &galore_vtbl;
    fg_status st = read_params(o, params, err);
    if (st == FG_OK) st = bind_state(o, args, err);
    if (st != FG_OK) {
        galore_destroy(o);
        return st;
    }
    *out = o;
    return FG_OK;
}

static const fg_param_spec galore_spec[] = {
    FG_SPEC_FLOAT("lr", "1.0e-3", 0, INFINITY,
                  "base learning rate (> 0); the LR schedule multiplies it"),
    {"betas", FG_PARAM_FLOAT_LIST, 0, 0, 0, "[0.9, 0.999]", 0, 1,
     "[beta1, beta2]: decay rates of the first and second moment estimates, each in [0, 1)", NULL,
     NULL},
    FG_SPEC_FLOAT("eps", "1.0e-6", 0, INFINITY,
                  "added to sqrt(v) before the bias correction (HF-legacy AdamW, > 0)"),
    FG_SPEC_FLOAT("weight_decay", "0.0", 0, INFINITY,
                  "decoupled weight decay: p -= lr*weight_decay*p after each update"),
    FG_SPEC_INT("rank", "128", 1, 1e9,
                "rank r of the projection; at most min(rows, cols) of every 2-D parameter"),
    FG_SPEC_INT("update_proj_gap", "200", 1, 1e15,
                "steps between SVD refreshes of the projection (first one at step 1)"),
    FG_SPEC_FLOAT("scale", "0.25", 0, INFINITY,
                  "multiplies the projected-back update of 2-D parameters (> 0)"),
    FG_SPEC_STR("proj_type", "std", proj_types,
                "std: project the smaller side (right when rows >= cols), reverse_std: the "
                "larger, left: U[:, :r], right: Vh[:r, :], full: both"),
};

static const char *const galore_aliases[] = {"galore_torch:GaLoreAdamW", NULL};

static const fg_factory_desc factories[] = {
    {sizeof(fg_factory_desc), FG_KIND_OPTIMIZER, "galore",
     "GaLore-AdamW (Zhao et al. 2024): Adam on the gradient projected onto its top-r singular "
     "vectors (SVD every update_proj_gap steps), projected back and scaled; HF-legacy AdamW "
     "(eps before bias correction, decay after the update); vectors get plain AdamW.",
     galore_spec, (uint32_t)(sizeof(galore_spec) / sizeof(galore_spec[0])), 0, galore_create,
     galore_aliases, NULL},
};

FG_PLUGIN_DEFINE("galore", "0.1.0", "GaLore-AdamW optimizer (low-rank gradient projection)",
                 "MIT", factories)
