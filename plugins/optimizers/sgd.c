/* SGD with torch.optim.SGD's semantics and operation order (coupled L2 weight decay,
 * heavy-ball momentum with dampening, optional Nesterov, maximize).
 *
 * Per element, with lr = base lr * lr_factor (torch 1.13, _single_tensor_sgd):
 *     d   = maximize ? -g : g
 *     d  += wd * p                         weight decay is added to the gradient (L2)
 *     buf = d                              first step with momentum: no dampening
 *     buf = momentum*buf + (1-dampening)*d later steps
 *     d   = nesterov ? d + momentum*buf : buf
 *     p  -= lr * d
 * Without momentum there is no state. Scalars are rounded to fp32 where torch applies them
 * to fp32 tensors. */
#include <forgather/plugin.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct sgd_param {
    fg_tensor *tensor;
    int64_t numel;
    float *buf;      /* momentum buffer: a slice of the optimizer's state, NULL without momentum */
    int32_t started; /* the buffer holds a value (torch: momentum_buffer is not None) */
} sgd_param;

typedef struct sgd {
    const fg_optimizer_vtbl *vt;
    double lr, momentum, dampening, weight_decay;
    int32_t nesterov, maximize;
    uint64_t n_params;
    sgd_param *params;
    float *state;
    uint64_t state_bytes;
} sgd;

static void sgd_update(const sgd *o, sgd_param *pp, float *p, const float *g, double lr) {
    const int decay_on = o->weight_decay != 0.0; /* torch skips the add when wd == 0 */
    const float wd = (float)o->weight_decay;
    const float mom = (float)o->momentum;
    const float keep = (float)(1.0 - o->dampening);
    const float neg_lr = (float)(-lr);
    const float sign = o->maximize ? -1.0f : 1.0f;
    const int first = !pp->started; /* torch clones d into a fresh buffer on the first step */
    const int nesterov = o->nesterov;
    float *buf = pp->buf;
    const int64_t n = pp->numel;
    int nth = fg_api->num_threads();
    if (nth < 1) nth = 1;

    /* Elementwise and independent, so the thread count never changes the result. */
#pragma omp parallel for schedule(static) num_threads(nth) if (n >= 16384)
    for (int64_t i = 0; i < n; i++) {
        float d = sign * g[i];
        if (decay_on) d = d + wd * p[i];
        if (buf != NULL) {
            const float b = first ? d : buf[i] * mom + keep * d;
            buf[i] = b;
            d = nesterov ? d + mom * b : b;
        }
        p[i] = p[i] + neg_lr * d;
    }
    pp->started = 1;
}

static fg_status sgd_step(void *self, double lr_factor, fg_error *err) {
    sgd *o = self;
    if (!isfinite(lr_factor) || lr_factor < 0.0) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "sgd: lr_factor %g from the LR schedule is not a finite value >= 0",
                          lr_factor);
        return FG_E_INVALID_ARG;
    }
    const double lr = o->lr * lr_factor;
    for (uint64_t k = 0; k < o->n_params; k++) {
        sgd_param *pp = &o->params[k];
        float *g = fg_api->tensor_grad(pp->tensor);
        if (g == NULL) continue; /* frozen or unused this step: its buffer is left as is */
        float *p = fg_api->tensor_data(pp->tensor);
        if (p == NULL) {
            fg_api->error_set(err, FG_E_INTERNAL, "sgd: parameter '%s' has no data",
                              fg_api->tensor_name(pp->tensor));
            return FG_E_INTERNAL;
        }
        sgd_update(o, pp, p, g, lr);
    }
    return FG_OK;
}

static double sgd_base_lr(const void *self) { return ((const sgd *)self)->lr; }
static uint64_t sgd_state_bytes(const void *self) { return ((const sgd *)self)->state_bytes; }

static void sgd_destroy(void *self) {
    sgd *o = self;
    if (o == NULL) return;
    fg_api->free(o->state);
    fg_api->free(o->params);
    fg_api->free(o);
}

/* Per parameter: momentum_buffer (with momentum, the parameter's shape) and whether it
 * holds a value yet (started: torch's momentum_buffer is not None). */
static fg_status sgd_state_io(sgd *o, int save, fg_state *state, fg_error *err) {
    const int64_t one[1] = {1};
    for (uint64_t k = 0; k < o->n_params; k++) {
        sgd_param *pp = &o->params[k];
        fg_status st;
        if (o->momentum != 0.0) {
            int64_t shape[FG_MAX_DIMS] = {0};
            const int32_t ndim = fg_api->tensor_ndim(pp->tensor);
            for (int32_t d = 0; d < ndim && d < FG_MAX_DIMS; d++)
                shape[d] = fg_api->tensor_dim(pp->tensor, d);
            st = fg_api->state_array(state, pp->tensor, "momentum_buffer", FG_DTYPE_F32, ndim, shape, pp->buf, err);
            if (st != FG_OK) return st;
        }
        int64_t started = pp->started;
        st = fg_api->state_array(state, pp->tensor, "started", FG_DTYPE_I64, 1, one, &started, err);
        if (st != FG_OK) return st;
        if (!save) {
            if (started != 0 && started != 1) {
                fg_api->error_set(err, FG_E_RANGE, "sgd: saved state '%s.started' = %lld is not 0 or 1",
                                  fg_api->tensor_name(pp->tensor), (long long)started);
                return FG_E_RANGE;
            }
            pp->started = (int32_t)started;
        }
    }
    return FG_OK;
}

static fg_status sgd_save_state(const void *self, fg_state *state, fg_error *err) {
    /* save only reads the optimizer; the shared walker takes a mutable pointer */
    return sgd_state_io((sgd *)(uintptr_t)self, 1, state, err);
}

static fg_status sgd_load_state(void *self, fg_state *state, fg_error *err) {
    return sgd_state_io(self, 0, state, err);
}

static const fg_optimizer_vtbl sgd_vtbl = {
    .base = {sizeof(fg_optimizer_vtbl), FG_KIND_OPTIMIZER, sgd_destroy},
    .step = sgd_step,
    .base_lr = sgd_base_lr,
    .state_bytes = sgd_state_bytes,
    .save_state = sgd_save_state,
    .load_state = sgd_load_state,
};

static fg_status read_params(sgd *o, const fg_params *params, fg_error *err) {
    fg_status st;
    if ((st = fg_api->param_float(params, "lr", &o->lr, err)) != FG_OK) return st;
    if ((st = fg_api->param_float(params, "momentum", &o->momentum, err)) != FG_OK) return st;
    if ((st = fg_api->param_float(params, "dampening", &o->dampening, err)) != FG_OK) return st;
    if ((st = fg_api->param_float(params, "weight_decay", &o->weight_decay, err)) != FG_OK)
        return st;
    if ((st = fg_api->param_bool(params, "nesterov", &o->nesterov, err)) != FG_OK) return st;
    if ((st = fg_api->param_bool(params, "maximize", &o->maximize, err)) != FG_OK) return st;
    /* The spec checks closed ranges; the open ends and the combinations are checked here. */
    if (!(o->lr > 0.0)) {
        fg_api->error_set(err, FG_E_RANGE, "sgd: lr must be > 0, got %g", o->lr);
        return FG_E_RANGE;
    }
    if (!(o->momentum < 1.0)) {
        fg_api->error_set(err, FG_E_RANGE, "sgd: momentum must be in [0, 1), got %g",
                          o->momentum);
        return FG_E_RANGE;
    }
    if (o->nesterov && (o->momentum <= 0.0 || o->dampening != 0.0)) {
        /* torch raises the same: Nesterov needs a momentum buffer and no dampening */
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "sgd: nesterov: true requires momentum > 0 and dampening = 0 "
                          "(got momentum %g, dampening %g)",
                          o->momentum, o->dampening);
        return FG_E_INVALID_ARG;
    }
    return FG_OK;
}

/* Binds every parameter to its slice of one momentum buffer (none without momentum). */
static fg_status bind_state(sgd *o, const fg_create_args *args, fg_error *err) {
    o->n_params = args->n_params;
    if (o->n_params == 0) return FG_OK;
    o->params = fg_api->alloc(sizeof(sgd_param) * o->n_params);
    if (o->params == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "sgd: out of memory for %llu parameters",
                          (unsigned long long)o->n_params);
        return FG_E_NOMEM;
    }
    memset(o->params, 0, sizeof(sgd_param) * o->n_params);
    int64_t total = 0;
    for (uint64_t k = 0; k < o->n_params; k++) {
        fg_tensor *t = args->params[k];
        if (t == NULL) {
            fg_api->error_set(err, FG_E_INVALID_ARG, "sgd: parameter %llu is NULL",
                              (unsigned long long)k);
            return FG_E_INVALID_ARG;
        }
        if (fg_api->tensor_dtype(t) != FG_DTYPE_F32) {
            fg_api->error_set(err, FG_E_TYPE,
                              "sgd: parameter '%s' is not fp32 (dtype %d); sgd updates fp32 "
                              "master weights only",
                              fg_api->tensor_name(t), (int)fg_api->tensor_dtype(t));
            return FG_E_TYPE;
        }
        o->params[k].tensor = t;
        o->params[k].numel = fg_api->tensor_numel(t);
        total += o->params[k].numel;
    }
    if (o->momentum == 0.0 || total == 0) return FG_OK; /* plain SGD keeps no state */
    o->state_bytes = sizeof(float) * (uint64_t)total;
    o->state = fg_api->alloc((size_t)o->state_bytes);
    if (o->state == NULL) {
        fg_api->error_set(err, FG_E_NOMEM,
                          "sgd: out of memory for the momentum buffer (%lld parameters)",
                          (long long)total);
        return FG_E_NOMEM;
    }
    memset(o->state, 0, (size_t)o->state_bytes);
    float *buf = o->state;
    for (uint64_t k = 0; k < o->n_params; k++) {
        o->params[k].buf = buf;
        buf += o->params[k].numel;
    }
    return FG_OK;
}

static fg_status sgd_create(const fg_params *params, const fg_create_args *args, void **out,
                            fg_error *err) {
    if (args == NULL || args->struct_size < sizeof(fg_create_args) ||
        (args->n_params > 0 && args->params == NULL)) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "sgd: created without a parameter list (create args missing)");
        return FG_E_INVALID_ARG;
    }
    sgd *o = fg_api->alloc(sizeof(sgd));
    if (o == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "sgd: out of memory");
        return FG_E_NOMEM;
    }
    memset(o, 0, sizeof(*o));
    o->vt = &sgd_vtbl;
    fg_status st = read_params(o, params, err);
    if (st == FG_OK) st = bind_state(o, args, err);
    if (st != FG_OK) {
        sgd_destroy(o);
        return st;
    }
    *out = o;
    return FG_OK;
}

static const fg_param_spec sgd_spec[] = {
    FG_SPEC_FLOAT("lr", "1.0e-2", 0, INFINITY,
                  "base learning rate (> 0); the LR schedule multiplies it"),
    FG_SPEC_FLOAT("momentum", "0.0", 0, 1, "momentum factor in [0, 1); 0 keeps no state"),
    FG_SPEC_FLOAT("dampening", "0.0", 0, 1,
                  "momentum dampening in [0, 1]: buf = momentum*buf + (1 - dampening)*g "
                  "(not applied on the first step)"),
    FG_SPEC_FLOAT("weight_decay", "0.0", 0, INFINITY,
                  "coupled L2 penalty: g += weight_decay*p before momentum"),
    FG_SPEC_BOOL("nesterov", "false",
                 "Nesterov momentum: step along g + momentum*buf (needs momentum > 0, "
                 "dampening 0)"),
    FG_SPEC_BOOL("maximize", "false", "ascend the objective instead of descending"),
};

static const char *const sgd_aliases[] = {"torch.optim:SGD", NULL};

static const fg_factory_desc factories[] = {
    {sizeof(fg_factory_desc), FG_KIND_OPTIMIZER, "sgd",
     "SGD with torch.optim.SGD's exact update: coupled L2 weight decay, momentum with "
     "dampening (none on the first step), optional Nesterov and maximize. fp32 momentum "
     "buffer when momentum > 0.",
     sgd_spec, (uint32_t)(sizeof(sgd_spec) / sizeof(sgd_spec[0])), 0, sgd_create, sgd_aliases,
     NULL},
};

FG_PLUGIN_DEFINE("sgd", "0.1.0", "SGD optimizer (PyTorch semantics)", "MIT", factories)
