/* Adafactor (Shazeer & Stern 2018) with Hugging Face transformers' `Adafactor` semantics
 * (the same math as fairseq's), defaults included.
 *
 * Per parameter, t its step count (it only counts steps where the parameter has a grad):
 *     rho   = relative_step ? min(warmup_init ? 1e-6*t : 1e-2, 1/sqrt(t)) : lr
 *     alpha = (scale_parameter ? max(eps2, RMS(p)) : 1) * rho * lr_factor
 *     b2t   = 1 - t^decay_rate
 *     u     = g*g + eps1
 *   >= 2-D (factored over the last two dims; leading dims are a batch of matrices):
 *     R = b2t*R + (1-b2t)*mean(u, -1)     C = b2t*C + (1-b2t)*mean(u, -2)
 *     U = g * rsqrt(R / mean(R, -1))[:, None] * rsqrt(C)[None, :]
 *   0-D and 1-D:
 *     V = b2t*V + (1-b2t)*u               U = g * rsqrt(V)
 *     U = U / max(1, RMS(U)/clip_threshold) * alpha
 *     if beta1 given: m = beta1*m + (1-beta1)*U; U = m
 *     p -= weight_decay*alpha*p  (on the pre-update p);  p -= U
 *
 * HF's `lr=None` (use the relative step) is `lr: 0` here, the default. As in HF, a manual
 * lr > 0 with relative_step: true is an error, and so is lr 0 with relative_step: false.
 * The LR schedule's lr_factor multiplies alpha, the lr HF's _get_lr computes, so a
 * schedule composes with both the relative step and a manual lr (factor 1 = HF exactly).
 * Sums and norms are taken in double in a fixed order, so results do not depend on the
 * thread count; state is fp32. */
#include <forgather/plugin.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CHUNK 4096 /* elements per partial sum: fixed, so the sum order is too */
#define COL_TILE 64 /* columns one thread sums at a time (contiguous reads per row) */

typedef struct ada_param {
    fg_tensor *tensor;
    int64_t numel;
    int32_t factored;
    int64_t batch, rows, cols; /* factored: numel = batch*rows*cols */
    float *r, *c;              /* factored: batch*rows row and batch*cols column EMAs */
    float *v;                  /* unfactored: full second moment */
    float *m;                  /* first moment when beta1 is given, else NULL */
    int64_t step;
} ada_param;

typedef struct adafactor {
    const fg_optimizer_vtbl *vt;
    double lr, eps1, eps2, clip_threshold, decay_rate, beta1, weight_decay;
    int32_t use_beta1, scale_parameter, relative_step, warmup_init;
    int64_t steps; /* step() calls, for base_lr's report of the relative step */
    uint64_t n_params;
    ada_param *params;
    float *state;
    uint64_t state_bytes;
    /* workspace sized for the largest parameter (not optimizer state) */
    double *part;
    float *fac;
} adafactor;

static int threads(void) {
    int nth = fg_api->num_threads(); /* the host's budget, shared with its ops */
    return nth < 1 ? 1 : nth;
}

static int64_t n_chunks(int64_t n) { return (n + CHUNK - 1) / CHUNK; }

/* HF's _get_lr without the parameter scale. */
static double relative_rho(const adafactor *o, int64_t t) {
    const double floor_step = o->warmup_init ? 1e-6 * (double)t : 1e-2;
    return fmin(floor_step, 1.0 / sqrt((double)t));
}

/* sum(x*x) in double, by fixed chunks summed in order. */
static double sum_squares(const float *x, int64_t n, double *part) {
    const int64_t nc = n_chunks(n);
#pragma omp parallel for schedule(static) num_threads(threads()) if (n >= 4 * CHUNK)
    for (int64_t k = 0; k < nc; k++) {
        const int64_t end = (k + 1) * CHUNK < n ? (k + 1) * CHUNK : n;
        double s = 0.0;
        for (int64_t i = k * CHUNK; i < end; i++) s += (double)x[i] * (double)x[i];
        part[k] = s;
    }
    double total = 0.0;
    for (int64_t k = 0; k < nc; k++) total += part[k];
    return total;
}

/* Updates R and C from g and leaves U = g*rfac*cfac's factors in fac (rows then cols).
 * Returns sum(U*U). */
static double factored_moments(const adafactor *o, ada_param *pp, const float *g, double b2t,
                               double *part, float *fac) {
    const int64_t B = pp->batch, R = pp->rows, C = pp->cols;
    const float keep = (float)b2t, take = (float)(1.0 - b2t);
    const double eps1 = o->eps1;
    float *rf = fac, *cf = fac + B * R;
    const int nth = threads();
    const int big = pp->numel >= 16384;

#pragma omp parallel for schedule(static) num_threads(nth) if (big)
    for (int64_t br = 0; br < B * R; br++) {
        const float *row = g + br * C;
        double s = 0.0;
        for (int64_t j = 0; j < C; j++) s += (double)row[j] * (double)row[j] + eps1;
        pp->r[br] = pp->r[br] * keep + take * (float)(s / (double)C);
    }
    const int64_t tiles = (C + COL_TILE - 1) / COL_TILE;
#pragma omp parallel for schedule(static) num_threads(nth) if (big)
    for (int64_t bt = 0; bt < B * tiles; bt++) {
        const int64_t b = bt / tiles, j0 = (bt % tiles) * COL_TILE;
        const int64_t w = C - j0 < COL_TILE ? C - j0 : COL_TILE;
        double s[COL_TILE] = {0};
        for (int64_t i = 0; i < R; i++) {
            const float *row = g + (b * R + i) * C + j0;
            for (int64_t j = 0; j < w; j++) s[j] += (double)row[j] * (double)row[j] + eps1;
        }
        for (int64_t j = 0; j < w; j++) {
            float *cj = &pp->c[b * C + j0 + j];
            *cj = *cj * keep + take * (float)(s[j] / (double)R);
        }
    }
    /* Only ratios of R enter (HF divides by the row mean), then rsqrt of each factor. */
    for (int64_t b = 0; b < B; b++) {
        double s = 0.0;
        for (int64_t i = 0; i < R; i++) s += pp->r[b * R + i];
        const float mean = (float)(s / (double)R);
        for (int64_t i = 0; i < R; i++) rf[b * R + i] = 1.0f / sqrtf(pp->r[b * R + i] / mean);
        for (int64_t j = 0; j < C; j++) cf[b * C + j] = 1.0f / sqrtf(pp->c[b * C + j]);
    }
#pragma omp parallel for schedule(static) num_threads(nth) if (big)
    for (int64_t br = 0; br < B * R; br++) {
        const float *row = g + br * C, *cb = cf + (br / R) * C;
        const float r = rf[br];
        double s = 0.0;
        for (int64_t j = 0; j < C; j++) {
            const double u = (double)(r * cb[j] * row[j]);
            s += u * u;
        }
        part[br] = s;
    }
    double total = 0.0;
    for (int64_t br = 0; br < B * R; br++) total += part[br];
    return total;
}

/* Updates V from g. Returns sum(U*U) for U = g*rsqrt(V). */
static double full_moment(const adafactor *o, ada_param *pp, const float *g, double b2t,
                          double *part) {
    const int64_t n = pp->numel, nc = n_chunks(n);
    const float keep = (float)b2t, take = (float)(1.0 - b2t), eps1 = (float)o->eps1;
    float *v = pp->v;
#pragma omp parallel for schedule(static) num_threads(threads()) if (n >= 4 * CHUNK)
    for (int64_t k = 0; k < nc; k++) {
        const int64_t end = (k + 1) * CHUNK < n ? (k + 1) * CHUNK : n;
        double s = 0.0;
        for (int64_t i = k * CHUNK; i < end; i++) {
            v[i] = v[i] * keep + take * (g[i] * g[i] + eps1);
            const double u = (double)(g[i] / sqrtf(v[i]));
            s += u * u;
        }
        part[k] = s;
    }
    double total = 0.0;
    for (int64_t k = 0; k < nc; k++) total += part[k];
    return total;
}

static void adafactor_update(adafactor *o, ada_param *pp, float *p, const float *g,
                             double lr_factor) {
    pp->step += 1;
    const int64_t n = pp->numel;
    const double t = (double)pp->step;
    const double rms_p = sqrt(sum_squares(p, n, o->part) / (double)n);
    const double rho = o->relative_step ? relative_rho(o, pp->step) : o->lr;
    const double alpha = (o->scale_parameter ? fmax(o->eps2, rms_p) : 1.0) * rho * lr_factor;
    const double b2t = 1.0 - pow(t, o->decay_rate);

    const double sum_u2 = pp->factored ? factored_moments(o, pp, g, b2t, o->part, o->fac)
                                       : full_moment(o, pp, g, b2t, o->part);
    /* update clipping (d = clip_threshold): U /= max(1, RMS(U)/d) */
    const float clip = (float)fmax(1.0, sqrt(sum_u2 / (double)n) / o->clip_threshold);
    const float a = (float)alpha;
    const int decay_on = o->weight_decay != 0.0; /* HF skips the add when wd == 0 */
    const float decay = (float)(-o->weight_decay * alpha);
    const float b1 = (float)o->beta1, w1 = (float)(1.0 - o->beta1);
    const int64_t C = pp->cols, R = pp->rows;
    const float *rf = o->fac, *cf = o->fac + pp->batch * R;
    float *m = pp->m;

    /* Elementwise, recomputing U from the factors instead of storing it. */
#pragma omp parallel for schedule(static) num_threads(threads()) if (n >= 16384)
    for (int64_t i = 0; i < n; i++) {
        float u;
        if (pp->factored) {
            const int64_t br = i / C;
            u = rf[br] * cf[(br / R) * C + i % C] * g[i];
        } else {
            u = g[i] / sqrtf(pp->v[i]);
        }
        u = u / clip * a;
        if (m != NULL) {
            m[i] = m[i] * b1 + w1 * u;
            u = m[i];
        }
        float pi = p[i];
        if (decay_on) pi = pi + decay * pi;
        p[i] = pi - u;
    }
}

static fg_status adafactor_step(void *self, double lr_factor, fg_error *err) {
    adafactor *o = self;
    if (!isfinite(lr_factor) || lr_factor < 0.0) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "adafactor: lr_factor %g from the LR schedule is not a finite value "
                          ">= 0",
                          lr_factor);
        return FG_E_INVALID_ARG;
    }
    o->steps += 1;
    for (uint64_t k = 0; k < o->n_params; k++) {
        ada_param *pp = &o->params[k];
        float *g = fg_api->tensor_grad(pp->tensor);
        if (g == NULL || pp->numel == 0) continue; /* frozen, unused this step, or empty */
        float *p = fg_api->tensor_data(pp->tensor);
        if (p == NULL) {
            fg_api->error_set(err, FG_E_INTERNAL, "adafactor: parameter '%s' has no data",
                              fg_api->tensor_name(pp->tensor));
            return FG_E_INTERNAL;
        }
        adafactor_update(o, pp, p, g, lr_factor);
    }
    return FG_OK;
}

/* The trainer logs base_lr * lr_factor before each step. With the relative step there is
 * no fixed base lr, so this reports rho of the coming step (without the per-parameter RMS
 * scale, which differs between tensors). */
static double adafactor_base_lr(const void *self) {
    const adafactor *o = self;
    return o->relative_step ? relative_rho(o, o->steps + 1) : o->lr;
}

static uint64_t adafactor_state_bytes(const void *self) {
    return ((const adafactor *)self)->state_bytes;
}

static void adafactor_destroy(void *self) {
    adafactor *o = self;
    if (o == NULL) return;
    fg_api->free(o->fac);
    fg_api->free(o->part);
    fg_api->free(o->state);
    fg_api->free(o->params);
    fg_api->free(o);
}

/* Per parameter, with HF's state names: exp_avg_sq_row (the parameter's shape without the
 * last dim) and exp_avg_sq_col (without the second to last) when factored, else
 * exp_avg_sq (the parameter's shape); exp_avg with beta1; step. optimizer_steps is this
 * optimizer's step() count (base_lr's relative step), kept under every parameter so no
 * entry is global; on load all copies must agree. */
static fg_status adafactor_state_io(adafactor *o, int save, fg_state *state, fg_error *err) {
    const int64_t one[1] = {1};
    int64_t steps_loaded = -1;
    for (uint64_t k = 0; k < o->n_params; k++) {
        ada_param *pp = &o->params[k];
        const fg_tensor *t = pp->tensor;
        int64_t shape[FG_MAX_DIMS] = {0}, sub[FG_MAX_DIMS] = {0};
        const int32_t ndim = fg_api->tensor_ndim(t);
        for (int32_t d = 0; d < ndim && d < FG_MAX_DIMS; d++) shape[d] = fg_api->tensor_dim(t, d);
        fg_status st = FG_OK;
        if (pp->factored) {
            /* row EMA: shape[:-1]; column EMA: shape[:-2] + shape[-1:] */
            st = fg_api->state_array(state, t, "exp_avg_sq_row", FG_DTYPE_F32, ndim - 1, shape, pp->r,
                          err);
            for (int32_t d = 0; d < ndim - 2; d++) sub[d] = shape[d];
            sub[ndim - 2] = shape[ndim - 1];
            if (st == FG_OK)
                st = fg_api->state_array(state, t, "exp_avg_sq_col", FG_DTYPE_F32, ndim - 1, sub,
                              pp->c, err);
        } else {
            st = fg_api->state_array(state, t, "exp_avg_sq", FG_DTYPE_F32, ndim, shape, pp->v, err);
        }
        if (st == FG_OK && o->use_beta1)
            st = fg_api->state_array(state, t, "exp_avg", FG_DTYPE_F32, ndim, shape, pp->m, err);
        int64_t step = pp->step, steps = o->steps;
        if (st == FG_OK) st = fg_api->state_array(state, t, "step", FG_DTYPE_I64, 1, one, &step, err);
        if (st == FG_OK)
            st = fg_api->state_array(state, t, "optimizer_steps", FG_DTYPE_I64, 1, one, &steps, err);
        if (st != FG_OK) return st;
        if (save) continue;
        if (step < 0 || steps < 0 || (steps_loaded >= 0 && steps != steps_loaded)) {
            fg_api->error_set(err, FG_E_RANGE,
                              "adafactor: saved state of parameter '%s' is inconsistent (step "
                              "%lld, optimizer_steps %lld, other parameters' optimizer_steps "
                              "%lld)",
                              fg_api->tensor_name(t), (long long)step, (long long)steps,
                              (long long)steps_loaded);
            return FG_E_RANGE;
        }
        pp->step = step;
        steps_loaded = steps;
    }
    if (!save && steps_loaded >= 0) o->steps = steps_loaded;
    return FG_OK;
}

static fg_status adafactor_save_state(const void *self, fg_state *state, fg_error *err) {
    /* save only reads the optimizer; the shared walker takes a mutable pointer */
    return adafactor_state_io((adafactor *)(uintptr_t)self, 1, state, err);
}

static fg_status adafactor_load_state(void *self, fg_state *state, fg_error *err) {
    return adafactor_state_io(self, 0, state, err);
}

static const fg_optimizer_vtbl adafactor_vtbl = {
    .base = {sizeof(fg_optimizer_vtbl), FG_KIND_OPTIMIZER, adafactor_destroy},
    .step = adafactor_step,
    .base_lr = adafactor_base_lr,
    .state_bytes = adafactor_state_bytes,
    .save_state = adafactor_save_state,
    .load_state = adafactor_load_state,
};

static fg_status range_error(fg_error *err, const char *what, double got) {
    fg_api->error_set(err, FG_E_RANGE, "adafactor: %s, got %g", what, got);
    return FG_E_RANGE;
}

static fg_status read_params(adafactor *o, const fg_params *params, fg_error *err) {
    fg_status st;
    const double *eps = NULL;
    uint64_t n_eps = 0;
    if ((st = fg_api->param_float(params, "lr", &o->lr, err)) != FG_OK) return st;
    if ((st = fg_api->param_float_list(params, "eps", &eps, &n_eps, err)) != FG_OK) return st;
    if ((st = fg_api->param_float(params, "clip_threshold", &o->clip_threshold, err)) != FG_OK)
        return st;
    if ((st = fg_api->param_float(params, "decay_rate", &o->decay_rate, err)) != FG_OK)
        return st;
    o->use_beta1 = fg_api->param_present(params, "beta1"); /* absent = HF's beta1=None */
    if (o->use_beta1 && (st = fg_api->param_float(params, "beta1", &o->beta1, err)) != FG_OK)
        return st;
    if ((st = fg_api->param_float(params, "weight_decay", &o->weight_decay, err)) != FG_OK)
        return st;
    if ((st = fg_api->param_bool(params, "scale_parameter", &o->scale_parameter, err)) != FG_OK)
        return st;
    if ((st = fg_api->param_bool(params, "relative_step", &o->relative_step, err)) != FG_OK)
        return st;
    if ((st = fg_api->param_bool(params, "warmup_init", &o->warmup_init, err)) != FG_OK)
        return st;

    if (n_eps != 2 || eps == NULL) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "adafactor: eps must have 2 values [eps1, eps2], got %llu",
                          (unsigned long long)n_eps);
        return FG_E_INVALID_ARG;
    }
    o->eps1 = eps[0];
    o->eps2 = eps[1];
    /* eps1 keeps rsqrt finite for all-zero rows; the spec already checked >= 0 */
    if (!(o->eps1 > 0.0)) return range_error(err, "eps[0] (eps1) must be > 0", o->eps1);
    if (!(o->clip_threshold > 0.0))
        return range_error(err, "clip_threshold must be > 0", o->clip_threshold);
    if (o->use_beta1 && !(o->beta1 < 1.0))
        return range_error(err, "beta1 must be in [0, 1)", o->beta1);
    /* HF's constructor checks, with lr: 0 standing for lr=None */
    if (o->relative_step && o->lr != 0.0) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "adafactor: lr = %g cannot be combined with relative_step: true (the "
                          "lr is then computed from the step); set relative_step: false or "
                          "leave lr at 0",
                          o->lr);
        return FG_E_INVALID_ARG;
    }
    if (!o->relative_step && !(o->lr > 0.0)) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "adafactor: relative_step: false needs a manual lr > 0, got %g",
                          o->lr);
        return FG_E_INVALID_ARG;
    }
    if (o->warmup_init && !o->relative_step) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "adafactor: warmup_init: true requires relative_step: true");
        return FG_E_INVALID_ARG;
    }
    return FG_OK;
}

/* Sizes every parameter's state (factored or full second moment, optional first moment)
 * and binds it to slices of one allocation; sizes the workspace for the largest one. */
static fg_status bind_state(adafactor *o, const fg_create_args *args, fg_error *err) {
    o->n_params = args->n_params;
    if (o->n_params == 0) return FG_OK;
    o->params = fg_api->alloc(sizeof(ada_param) * o->n_params);
    if (o->params == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "adafactor: out of memory for %llu parameters",
                          (unsigned long long)o->n_params);
        return FG_E_NOMEM;
    }
    memset(o->params, 0, sizeof(ada_param) * o->n_params);
    int64_t total = 0, max_part = 1, max_fac = 1;
    for (uint64_t k = 0; k < o->n_params; k++) {
        fg_tensor *t = args->params[k];
        if (t == NULL) {
            fg_api->error_set(err, FG_E_INVALID_ARG, "adafactor: parameter %llu is NULL",
                              (unsigned long long)k);
            return FG_E_INVALID_ARG;
        }
        if (fg_api->tensor_dtype(t) != FG_DTYPE_F32) {
            fg_api->error_set(err, FG_E_TYPE,
                              "adafactor: parameter '%s' is not fp32 (dtype %d); adafactor "
                              "updates fp32 master weights only",
                              fg_api->tensor_name(t), (int)fg_api->tensor_dtype(t));
            return FG_E_TYPE;
        }
        ada_param *pp = &o->params[k];
        pp->tensor = t;
        pp->numel = fg_api->tensor_numel(t);
        pp->factored = fg_api->tensor_ndim(t) >= 2 && pp->numel > 0;
        int64_t per = 0;
        if (pp->factored) {
            pp->rows = fg_api->tensor_dim(t, -2);
            pp->cols = fg_api->tensor_dim(t, -1);
            pp->batch = pp->numel / (pp->rows * pp->cols);
            per = pp->batch * (pp->rows + pp->cols);
            if (pp->batch * pp->rows > max_part) max_part = pp->batch * pp->rows;
            if (per > max_fac) max_fac = per;
        } else {
            per = pp->numel;
        }
        if (o->use_beta1) per += pp->numel;
        if (n_chunks(pp->numel) > max_part) max_part = n_chunks(pp->numel);
        total += per;
    }
    o->part = fg_api->alloc(sizeof(double) * (size_t)max_part);
    o->fac = fg_api->alloc(sizeof(float) * (size_t)max_fac);
    if (o->part == NULL || o->fac == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "adafactor: out of memory for the workspace");
        return FG_E_NOMEM;
    }
    if (total == 0) return FG_OK;
    o->state_bytes = sizeof(float) * (uint64_t)total;
    o->state = fg_api->alloc((size_t)o->state_bytes);
    if (o->state == NULL) {
        fg_api->error_set(err, FG_E_NOMEM,
                          "adafactor: out of memory for optimizer state (%lld floats)",
                          (long long)total);
        return FG_E_NOMEM;
    }
    memset(o->state, 0, (size_t)o->state_bytes);
    float *s = o->state;
    for (uint64_t k = 0; k < o->n_params; k++) {
        ada_param *pp = &o->params[k];
        if (pp->factored) {
            pp->r = s;
            s += pp->batch * pp->rows;
            pp->c = s;
            s += pp->batch * pp->cols;
        } else {
            pp->v = s;
            s += pp->numel;
        }
        if (o->use_beta1) {
            pp->m = s;
            s += pp->numel;
        }
    }
    return FG_OK;
}

static fg_status adafactor_create(const fg_params *params, const fg_create_args *args,
                                  void **out, fg_error *err) {
    if (args == NULL || args->struct_size < sizeof(fg_create_args) ||
        (args->n_params > 0 && args->params == NULL)) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "adafactor: created without a parameter list (create args missing)");
        return FG_E_INVALID_ARG;
    }
    adafactor *o = fg_api->alloc(sizeof(adafactor));
    if (o == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "adafactor: out of memory");
        return FG_E_NOMEM;
    }
    memset(o, 0, sizeof(*o));
    o->vt = &adafactor_vtbl;
    fg_status st = read_params(o, params, err);
    if (st == FG_OK) st = bind_state(o, args, err);
    if (st != FG_OK) {
        adafactor_destroy(o);
        return st;
    }
    *out = o;
    return FG_OK;
}

static const fg_param_spec adafactor_spec[] = {
    FG_SPEC_FLOAT("lr", "0.0", 0, INFINITY,
                  "manual learning rate (> 0, needs relative_step: false); 0 = HF's lr=None: "
                  "use the relative step. The LR schedule multiplies the computed lr"),
    {"eps", FG_PARAM_FLOAT_LIST, 0, 0, 0, "[1.0e-30, 1.0e-3]", 0, INFINITY,
     "[eps1, eps2]: eps1 (> 0) is added to g*g, eps2 is the least parameter scale", NULL, NULL},
    FG_SPEC_FLOAT("clip_threshold", "1.0", 0, INFINITY,
                  "update clipping: U /= max(1, RMS(U)/clip_threshold) (> 0)"),
    FG_SPEC_FLOAT("decay_rate", "-0.8", -INFINITY, 0,
                  "second-moment decay: beta2_t = 1 - t^decay_rate (<= 0)"),
    {"beta1", FG_PARAM_FLOAT, 0, 0, 0, NULL, 0, 1,
     "first-moment decay in [0, 1) on the clipped, scaled update; omit for none (HF's "
     "beta1=None, no first-moment state)",
     NULL, NULL},
    FG_SPEC_FLOAT("weight_decay", "0.0", 0, INFINITY,
                  "decoupled decay: p -= weight_decay*lr*p, with the computed lr"),
    FG_SPEC_BOOL("scale_parameter", "true", "scale the lr by max(eps2, RMS(p))"),
    FG_SPEC_BOOL("relative_step", "true",
                 "lr = min(1e-2, 1/sqrt(t)) instead of a manual lr (lr must be 0)"),
    FG_SPEC_BOOL("warmup_init", "false",
                 "relative step min(1e-6*t, 1/sqrt(t)) (needs relative_step: true)"),
};

static const char *const adafactor_aliases[] = {"transformers:Adafactor", NULL};

static const fg_factory_desc factories[] = {
    {sizeof(fg_factory_desc), FG_KIND_OPTIMIZER, "adafactor",
     "Adafactor (Shazeer & Stern) with Hugging Face transformers' exact update and defaults: "
     "relative step, parameter scaling, factored second moment over the last two dims, "
     "update clipping, optional first moment. fp32 state.",
     adafactor_spec, (uint32_t)(sizeof(adafactor_spec) / sizeof(adafactor_spec[0])), 0,
     adafactor_create, adafactor_aliases, NULL},
};

FG_PLUGIN_DEFINE("adafactor", "0.1.0", "Adafactor optimizer (Hugging Face semantics)", "MIT",
                 factories)
