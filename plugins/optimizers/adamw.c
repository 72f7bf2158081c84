/* AdamW with torch.optim.AdamW's semantics and operation order (decoupled weight decay,
 * eps added after the bias correction, AMSGrad over the raw second moment).
 *
 * Per element, with lr = base lr * lr_factor and t the parameter's step count:
 *     p  *= 1 - lr*wd
 *     m   = lerp(m, g, 1 - b1)           torch: exp_avg.lerp_(grad, 1 - beta1)
 *     v   = v*b2 + (1 - b2)*g*g
 *     vmax = max(vmax, v)                 amsgrad only; vmax replaces v below
 *     p  += (-lr/bc1) * m / (sqrt(v)/sqrt(bc2) + eps),  bc_i = 1 - b_i^t
 * Scalars are formed in double (as Python does) and rounded to fp32 where torch applies
 * them to fp32 tensors, so results track PyTorch's CPU single-tensor path closely. */
#include <forgather/plugin.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct adamw_param {
    fg_tensor *tensor;
    int64_t numel;
    float *m, *v, *vmax; /* slices of the optimizer's state buffers */
    int64_t step;        /* per parameter, as torch: a tensor without a grad is not stepped */
} adamw_param;

typedef struct adamw {
    const fg_optimizer_vtbl *vt;
    double lr, beta1, beta2, eps, weight_decay;
    int32_t amsgrad;
    uint64_t n_params;
    adamw_param *params;
    float *state; /* one allocation: m, v (and vmax) for every parameter */
    uint64_t state_bytes;
} adamw;

/* torch's lerp: the formula switches at weight 0.5 to stay accurate near either end. */
static inline float lerp_torch(float self, float end, float w) {
    return (fabsf(w) < 0.5f) ? self + w * (end - self) : end - (end - self) * (1.0f - w);
}

static void adamw_update(const adamw *o, adamw_param *pp, float *p, const float *g, double lr) {
    pp->step += 1;
    const double bc1 = 1.0 - pow(o->beta1, (double)pp->step);
    const double bc2 = 1.0 - pow(o->beta2, (double)pp->step);
    const int decay_on = o->weight_decay != 0.0; /* torch skips the multiply when wd == 0 */
    const float decay = (float)(1.0 - lr * o->weight_decay);
    const float w1 = (float)(1.0 - o->beta1);
    const float b2 = (float)o->beta2;
    const float w2 = (float)(1.0 - o->beta2);
    const float bc2_sqrt = (float)sqrt(bc2);
    const float eps = (float)o->eps;
    const float neg_step = (float)(-(lr / bc1));
    const int ams = o->amsgrad;
    float *m = pp->m, *v = pp->v, *vmax = pp->vmax;
    const int64_t n = pp->numel;
    int nth = fg_api->num_threads(); /* the host's thread budget, shared with its ops */
    if (nth < 1) nth = 1;

        /* Elementwise and independent, so the thread count never changes the result; the
         * `if` keeps tiny tensors (biases, norms) from paying for a parallel region. */
#pragma omp parallel for schedule(static) num_threads(nth) if (n >= 16384)
    for (int64_t i = 0; i < n; i++) {
        float pi = p[i];
        const float gi = g[i];
        if (decay_on) pi = pi * decay;
        const float mi = lerp_torch(m[i], gi, w1);
        float vi = v[i] * b2;
        vi = vi + w2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float vd = vi;
        if (ams) {
            /* torch.maximum propagates NaN; keep that so a blow-up stays visible */
            const float vm = (vi > vmax[i] || isnan(vi)) ? vi : vmax[i];
            vmax[i] = vm;
            vd = vm;
        }
        const float denom = sqrtf(vd) / bc2_sqrt + eps;
        p[i] = pi + neg_step * mi / denom;
    }
}

static fg_status adamw_step(void *self, double lr_factor, fg_error *err) {
    adamw *o = self;
    if (!isfinite(lr_factor) || lr_factor < 0.0) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "adamw: lr_factor %g from the LR schedule is not a finite value >= 0",
                          lr_factor);
        return FG_E_INVALID_ARG;
    }
    const double lr = o->lr * lr_factor;
    for (uint64_t k = 0; k < o->n_params; k++) {
        adamw_param *pp = &o->params[k];
        float *g = fg_api->tensor_grad(pp->tensor);
        if (g == NULL) continue; /* frozen or unused this step */
        float *p = fg_api->tensor_data(pp->tensor);
        if (p == NULL) {
            fg_api->error_set(err, FG_E_INTERNAL, "adamw: parameter '%s' has no data",
                              fg_api->tensor_name(pp->tensor));
            return FG_E_INTERNAL;
        }
        adamw_update(o, pp, p, g, lr);
    }
    return FG_OK;
}

static double adamw_base_lr(const void *self) { return ((const adamw *)self)->lr; }
static uint64_t adamw_state_bytes(const void *self) { return ((const adamw *)self)->state_bytes; }

static void adamw_destroy(void *self) {
    adamw *o = self;
    if (o == NULL) return;
    fg_api->free(o->state);
    fg_api->free(o->params);
    fg_api->free(o);
}

/* The parameter's shape: the moments are saved with it. */
static int32_t param_shape(const fg_tensor *t, int64_t shape[FG_MAX_DIMS]) {
    const int32_t ndim = fg_api->tensor_ndim(t);
    for (int32_t d = 0; d < ndim && d < FG_MAX_DIMS; d++) shape[d] = fg_api->tensor_dim(t, d);
    return ndim;
}

/* Saves or loads (the state's direction) one fp32 moment of the parameter's shape. */
static fg_status moment_io(fg_state *state, const adamw_param *pp, const char *what,
                           float *data, fg_error *err) {
    int64_t shape[FG_MAX_DIMS] = {0};
    const int32_t ndim = param_shape(pp->tensor, shape);
    return fg_api->state_array(state, pp->tensor, what, FG_DTYPE_F32, ndim, shape, data, err);
}

/* Per parameter: exp_avg (m), exp_avg_sq (v), max_exp_avg_sq (vmax, amsgrad) and step. */
static fg_status adamw_state_io(adamw *o, int save, fg_state *state, fg_error *err) {
    const int64_t one[1] = {1};
    for (uint64_t k = 0; k < o->n_params; k++) {
        adamw_param *pp = &o->params[k];
        fg_status st = moment_io(state, pp, "exp_avg", pp->m, err);
        if (st == FG_OK) st = moment_io(state, pp, "exp_avg_sq", pp->v, err);
        if (st == FG_OK && o->amsgrad)
            st = moment_io(state, pp, "max_exp_avg_sq", pp->vmax, err);
        if (st != FG_OK) return st;
        int64_t step = pp->step;
        st = fg_api->state_array(state, pp->tensor, "step", FG_DTYPE_I64, 1, one, &step, err);
        if (st != FG_OK) return st;
        if (!save) {
            if (step < 0) {
                fg_api->error_set(err, FG_E_RANGE, "adamw: saved state '%s.step' = %lld is negative",
                                  fg_api->tensor_name(pp->tensor), (long long)step);
                return FG_E_RANGE;
            }
            pp->step = step;
        }
    }
    return FG_OK;
}

static fg_status adamw_save_state(const void *self, fg_state *state, fg_error *err) {
    /* save only reads the optimizer; the shared walker takes a mutable pointer */
    return adamw_state_io((adamw *)(uintptr_t)self, 1, state, err);
}

static fg_status adamw_load_state(void *self, fg_state *state, fg_error *err) {
    return adamw_state_io(self, 0, state, err);
}

static const fg_optimizer_vtbl adamw_vtbl = {
    .base = {sizeof(fg_optimizer_vtbl), FG_KIND_OPTIMIZER, adamw_destroy},
    .step = adamw_step,
    .base_lr = adamw_base_lr,
    .state_bytes = adamw_state_bytes,
    .save_state = adamw_save_state,
    .load_state = adamw_load_state,
};

static fg_status read_params(adamw *o, const fg_params *params, fg_error *err) {
    fg_status st;
    const double *betas = NULL;
    uint64_t n_betas = 0;
    if ((st = fg_api->param_float(params, "lr", &o->lr, err)) != FG_OK) return st;
    if ((st = fg_api->param_float_list(params, "betas", &betas, &n_betas, err)) != FG_OK) return st;
    if ((st = fg_api->param_float(params, "eps", &o->eps, err)) != FG_OK) return st;
    if ((st = fg_api->param_float(params, "weight_decay", &o->weight_decay, err)) != FG_OK)
        return st;
    if ((st = fg_api->param_bool(params, "amsgrad", &o->amsgrad, err)) != FG_OK) return st;
    /* The spec checks closed ranges; the open ends are checked here. */
    if (!(o->lr > 0.0)) {
        fg_api->error_set(err, FG_E_RANGE, "adamw: lr must be > 0, got %g", o->lr);
        return FG_E_RANGE;
    }
    if (n_betas != 2 || betas == NULL) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "adamw: betas must have 2 values [beta1, beta2], got %llu",
                          (unsigned long long)n_betas);
        return FG_E_INVALID_ARG;
    }
    for (int i = 0; i < 2; i++) {
        if (!(betas[i] >= 0.0 && betas[i] < 1.0)) {
            fg_api->error_set(err, FG_E_RANGE, "adamw: betas[%d] = %g is not in [0, 1)", i,
                              betas[i]);
            return FG_E_RANGE;
        }
    }
    o->beta1 = betas[0];
    o->beta2 = betas[1];
    if (!(o->eps > 0.0)) {
        fg_api->error_set(err, FG_E_RANGE, "adamw: eps must be > 0, got %g", o->eps);
        return FG_E_RANGE;
    }
    return FG_OK;
}

/* Binds every parameter to its slice of one state buffer (2 or 3 fp32 per element). */
static fg_status bind_state(adamw *o, const fg_create_args *args, fg_error *err) {
    o->n_params = args->n_params;
    if (o->n_params == 0) return FG_OK;
    o->params = fg_api->alloc(sizeof(adamw_param) * o->n_params);
    if (o->params == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "adamw: out of memory for %llu parameters",
                          (unsigned long long)o->n_params);
        return FG_E_NOMEM;
    }
    memset(o->params, 0, sizeof(adamw_param) * o->n_params);
    int64_t total = 0;
    for (uint64_t k = 0; k < o->n_params; k++) {
        fg_tensor *t = args->params[k];
        if (t == NULL) {
            fg_api->error_set(err, FG_E_INVALID_ARG, "adamw: parameter %llu is NULL",
                              (unsigned long long)k);
            return FG_E_INVALID_ARG;
        }
        if (fg_api->tensor_dtype(t) != FG_DTYPE_F32) {
            fg_api->error_set(err, FG_E_TYPE,
                              "adamw: parameter '%s' is not fp32 (dtype %d); adamw updates "
                              "fp32 master weights only",
                              fg_api->tensor_name(t), (int)fg_api->tensor_dtype(t));
            return FG_E_TYPE;
        }
        o->params[k].tensor = t;
        o->params[k].numel = fg_api->tensor_numel(t);
        total += o->params[k].numel;
    }
    const int64_t per = o->amsgrad ? 3 : 2;
    if (total == 0) return FG_OK;
    o->state_bytes = sizeof(float) * (uint64_t)(total * per);
    o->state = fg_api->alloc((size_t)o->state_bytes);
    if (o->state == NULL) {
        fg_api->error_set(err, FG_E_NOMEM,
                          "adamw: out of memory for optimizer state (%lld parameters x %lld)",
                          (long long)total, (long long)per);
        return FG_E_NOMEM;
    }
    memset(o->state, 0, sizeof(float) * (size_t)(total * per));
    float *m = o->state, *v = m + total, *vmax = o->amsgrad ? v + total : NULL;
    for (uint64_t k = 0; k < o->n_params; k++) {
        o->params[k].m = m;
        o->params[k].v = v;
        o->params[k].vmax = vmax;
        m += o->params[k].numel;
        v += o->params[k].numel;
        if (vmax != NULL) vmax += o->params[k].numel;
    }
    return FG_OK;
}

static fg_status adamw_create(const fg_params *params, const fg_create_args *args, void **out,
                              fg_error *err) {
    if (args == NULL || args->struct_size < sizeof(fg_create_args) ||
        (args->n_params > 0 && args->params == NULL)) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "adamw: created without a parameter list (create args missing)");
        return FG_E_INVALID_ARG;
    }
    adamw *o = fg_api->alloc(sizeof(adamw));
    if (o == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "adamw: out of memory");
        return FG_E_NOMEM;
    }
    memset(o, 0, sizeof(*o));
    o->vt = &adamw_vtbl;
    fg_status st = read_params(o, params, err);
    if (st == FG_OK) st = bind_state(o, args, err);
    if (st != FG_OK) {
        adamw_destroy(o);
        return st;
    }
    *out = o;
    return FG_OK;
}

static const fg_param_spec adamw_spec[] = {
    FG_SPEC_FLOAT("lr", "1.0e-3", 0, INFINITY,
                  "base learning rate (> 0); the LR schedule multiplies it"),
    {"betas", FG_PARAM_FLOAT_LIST, 0, 0, 0, "[0.9, 0.999]", 0, 1,
     "[beta1, beta2]: decay rates of the first and second moment estimates, each in [0, 1)", NULL,
     NULL},
    FG_SPEC_FLOAT("eps", "1.0e-8", 0, INFINITY,
                  "added to the bias-corrected sqrt of the second moment (> 0)"),
    FG_SPEC_FLOAT("weight_decay", "0.01", 0, INFINITY,
                  "decoupled weight decay: p *= 1 - lr*weight_decay before each update"),
    FG_SPEC_BOOL("amsgrad", "false", "use the running maximum of the second moment (AMSGrad)"),
};

static const char *const adamw_aliases[] = {"torch.optim:AdamW", NULL};

static const fg_factory_desc factories[] = {
    {sizeof(fg_factory_desc), FG_KIND_OPTIMIZER, "adamw",
     "AdamW (Loshchilov & Hutter) with torch.optim.AdamW's exact update: decoupled weight "
     "decay scaled by lr, eps after bias correction, optional AMSGrad. fp32 state m, v.",
     adamw_spec, (uint32_t)(sizeof(adamw_spec) / sizeof(adamw_spec[0])), 0, adamw_create,
     adamw_aliases, NULL},
};

FG_PLUGIN_DEFINE("adamw", "0.1.0", "AdamW optimizer (PyTorch semantics)", "MIT", factories)
