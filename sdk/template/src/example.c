/* An example Forgather-C plugin with two components; copy it to start your own.
 *
 *   example_sgd_momentum  optimizer:    buf = momentum*buf + g;  p -= lr*buf
 *   example_swish_mlp     feed-forward: linear -> swish (x*sigmoid(beta*x)) -> linear;
 *                         `fgrun code` can write it as C (emit_code)
 *
 * Rules every plugin follows:
 *   - include only <forgather/plugin.h>; call the runtime only through fg_api (set by the
 *     entry point FG_PLUGIN_DEFINE emits, before any factory runs);
 *   - report errors with fg_api->error_set and return the status, never exit or abort;
 *   - allocate with fg_api->alloc/free; the host destroys objects through the vtable. */
#include <forgather/plugin.h>

#include <math.h>
#include <string.h>

/* fg-template: optimizer begin */
/* ======================= example_sgd_momentum (optimizer) ======================= */

typedef struct sgdm_param {
    fg_tensor *tensor;
    int64_t numel;
    float *buf; /* this parameter's slice of the momentum buffer */
} sgdm_param;

typedef struct sgdm {
    const fg_optimizer_vtbl *vt; /* first member: the host reads the vtable from here */
    double lr, momentum;
    uint64_t n_params;
    sgdm_param *params;
    float *buffer; /* one allocation for all momentum buffers, zeroed: the first step is plain SGD */
    uint64_t buffer_bytes;
} sgdm;

static void sgdm_update(const sgdm *o, const sgdm_param *pp, float *p, const float *g,
                        double lr) {
    const float mom = (float)o->momentum, neg_lr = (float)-lr;
    for (int64_t i = 0; i < pp->numel; i++) {
        pp->buf[i] = mom * pp->buf[i] + g[i];
        p[i] += neg_lr * pp->buf[i];
    }
}

static fg_status sgdm_step(void *self, double lr_factor, fg_error *err) {
    sgdm *o = self;
    if (!isfinite(lr_factor) || lr_factor < 0.0) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "example_sgd_momentum: lr_factor %g is not a finite value >= 0",
                          lr_factor);
        return FG_E_INVALID_ARG;
    }
    for (uint64_t k = 0; k < o->n_params; k++) {
        sgdm_param *pp = &o->params[k];
        const float *g = fg_api->tensor_grad(pp->tensor);
        if (g == NULL) continue; /* no gradient this step (frozen or unused) */
        float *p = fg_api->tensor_data(pp->tensor);
        if (p == NULL) {
            fg_api->error_set(err, FG_E_INTERNAL, "example_sgd_momentum: parameter '%s' has no data",
                              fg_api->tensor_name(pp->tensor));
            return FG_E_INTERNAL;
        }
        sgdm_update(o, pp, p, g, o->lr * lr_factor);
    }
    return FG_OK;
}

static double sgdm_base_lr(const void *self) { return ((const sgdm *)self)->lr; }
static uint64_t sgdm_state_bytes(const void *self) { return ((const sgdm *)self)->buffer_bytes; }

static void sgdm_destroy(void *self) {
    sgdm *o = self;
    if (o == NULL) return;
    fg_api->free(o->buffer);
    fg_api->free(o->params);
    fg_api->free(o);
}

/* Checkpoints: one array per parameter, "<parameter>.momentum_buffer". state_array moves
 * it in the state's direction (written on save, read on load), so both share this code. */
static fg_status sgdm_state_io(sgdm *o, fg_state *state, fg_error *err) {
    for (uint64_t k = 0; k < o->n_params; k++) {
        const sgdm_param *pp = &o->params[k];
        int64_t shape[FG_MAX_DIMS] = {0};
        const int32_t ndim = fg_api->tensor_ndim(pp->tensor);
        for (int32_t d = 0; d < ndim && d < FG_MAX_DIMS; d++)
            shape[d] = fg_api->tensor_dim(pp->tensor, d);
        fg_status st = fg_api->state_array(state, pp->tensor, "momentum_buffer", FG_DTYPE_F32,
                                           ndim, shape, pp->buf, err);
        if (st != FG_OK) return st;
    }
    return FG_OK;
}

static fg_status sgdm_save_state(const void *self, fg_state *state, fg_error *err) {
    /* saving only reads the buffers; the shared walker takes a mutable pointer */
    return sgdm_state_io((sgdm *)(uintptr_t)self, state, err);
}

static fg_status sgdm_load_state(void *self, fg_state *state, fg_error *err) {
    return sgdm_state_io(self, state, err);
}

static const fg_optimizer_vtbl sgdm_vtbl = {
    .base = {sizeof(fg_optimizer_vtbl), FG_KIND_OPTIMIZER, sgdm_destroy},
    .step = sgdm_step,
    .base_lr = sgdm_base_lr,
    .state_bytes = sgdm_state_bytes,
    .save_state = sgdm_save_state,
    .load_state = sgdm_load_state,
};

static fg_status sgdm_read_params(sgdm *o, const fg_params *params, fg_error *err) {
    fg_status st;
    if ((st = fg_api->param_float(params, "lr", &o->lr, err)) != FG_OK) return st;
    if ((st = fg_api->param_float(params, "momentum", &o->momentum, err)) != FG_OK) return st;
    /* The spec checks closed ranges; open ends are checked here. */
    if (!(o->lr > 0.0)) {
        fg_api->error_set(err, FG_E_RANGE, "example_sgd_momentum: lr must be > 0, got %g", o->lr);
        return FG_E_RANGE;
    }
    if (!(o->momentum < 1.0)) {
        fg_api->error_set(err, FG_E_RANGE,
                          "example_sgd_momentum: momentum must be in [0, 1), got %g", o->momentum);
        return FG_E_RANGE;
    }
    return FG_OK;
}

/* Keeps the parameters the host created the optimizer with and gives each its slice
 * of one zeroed momentum buffer. */
static fg_status sgdm_bind_params(sgdm *o, const fg_create_args *args, fg_error *err) {
    o->n_params = args->n_params;
    if (o->n_params == 0) return FG_OK;
    o->params = fg_api->alloc(sizeof(sgdm_param) * o->n_params);
    if (o->params == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "example_sgd_momentum: out of memory");
        return FG_E_NOMEM;
    }
    int64_t total = 0;
    for (uint64_t k = 0; k < o->n_params; k++) {
        fg_tensor *t = args->params[k];
        if (t == NULL || fg_api->tensor_dtype(t) != FG_DTYPE_F32) {
            fg_api->error_set(err, FG_E_TYPE,
                              "example_sgd_momentum: parameter %llu ('%s') is not an fp32 tensor",
                              (unsigned long long)k, t != NULL ? fg_api->tensor_name(t) : "NULL");
            return FG_E_TYPE;
        }
        o->params[k] = (sgdm_param){t, fg_api->tensor_numel(t), NULL};
        total += o->params[k].numel;
    }
    o->buffer_bytes = sizeof(float) * (uint64_t)total;
    o->buffer = fg_api->alloc(o->buffer_bytes > 0 ? (size_t)o->buffer_bytes : 1);
    if (o->buffer == NULL) {
        fg_api->error_set(err, FG_E_NOMEM,
                          "example_sgd_momentum: out of memory for %lld momentum values",
                          (long long)total);
        return FG_E_NOMEM;
    }
    memset(o->buffer, 0, (size_t)o->buffer_bytes);
    float *next = o->buffer;
    for (uint64_t k = 0; k < o->n_params; k++) {
        o->params[k].buf = next;
        next += o->params[k].numel;
    }
    return FG_OK;
}

static fg_status sgdm_create(const fg_params *params, const fg_create_args *args, void **out,
                             fg_error *err) {
    if (args == NULL || args->struct_size < sizeof(fg_create_args) ||
        (args->n_params > 0 && args->params == NULL)) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "example_sgd_momentum: created without a parameter list");
        return FG_E_INVALID_ARG;
    }
    sgdm *o = fg_api->alloc(sizeof(sgdm));
    if (o == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "example_sgd_momentum: out of memory");
        return FG_E_NOMEM;
    }
    memset(o, 0, sizeof(*o));
    o->vt = &sgdm_vtbl;
    fg_status st = sgdm_read_params(o, params, err);
    if (st == FG_OK) st = sgdm_bind_params(o, args, err);
    if (st != FG_OK) {
        sgdm_destroy(o);
        return st;
    }
    *out = o;
    return FG_OK;
}

static const fg_param_spec sgdm_spec[] = {
    FG_SPEC_FLOAT("lr", "1.0e-2", 0, INFINITY, "base learning rate (> 0); the LR schedule scales it"),
    FG_SPEC_FLOAT("momentum", "0.9", 0, 1, "momentum factor in [0, 1)"),
};
/* fg-template: optimizer end */

/* fg-template: feedforward begin */
/* ======================= example_swish_mlp (feed-forward layer) ======================= */

typedef struct swish_mlp {
    const fg_layer_vtbl *vt; /* first member: the host reads the vtable from here */
    double beta;
    fg_tensor *w_in, *b_in, *w_out, *b_out;
} swish_mlp;

/* swish(x) = x * sigmoid(beta*x) = silu(beta*x) / beta, composed from host ops so the
 * host differentiates it; beta = 1 is exactly silu. */
static fg_tensor *swish(fg_graph *g, fg_tensor *x, double beta) {
    if (beta == 1.0) return fg_api->op_silu(g, x);
    return fg_api->op_scale(g, fg_api->op_silu(g, fg_api->op_scale(g, x, beta)), 1.0 / beta);
}

static fg_status swish_mlp_forward(void *self, fg_graph *g, fg_tensor *x, fg_tensor **out,
                                   fg_error *err) {
    const swish_mlp *m = self;
    fg_tensor *h = fg_api->op_linear(g, x, m->w_in, m->b_in);
    h = swish(g, h, m->beta);
    fg_tensor *y = fg_api->op_linear(g, h, m->w_out, m->b_out);
    /* Ops return NULL after a failure and the graph keeps the first error: one check
     * at the end covers the whole chain. */
    fg_status st = fg_api->graph_status(g, err);
    if (st != FG_OK) return st;
    if (y == NULL) {
        fg_api->error_set(err, FG_E_INTERNAL, "example_swish_mlp: forward produced no output");
        return FG_E_INTERNAL;
    }
    *out = y;
    return FG_OK;
}

/* Optional (ABI 1.3): the forward above as the body of a C function
 *   static void F(const float *x, float *y, int T)    x, y [T, d_model]
 * for `fgrun code`. It prints the same steps with the C runtime's functions
 * (fgc_runtime.h), sizes as literals, and the parameters by the expressions
 * code_param gives. Floats are printed with %.9g, enough digits to give back the same
 * float when the runtime's float parameter takes them. See docs/codegen.md. */
static fg_status swish_mlp_emit_code(const void *self, fg_codegen *cg, fg_error *err) {
    const swish_mlp *m = self;
    const fg_tensor *params[4] = {m->w_in, m->b_in, m->w_out, m->b_out};
    const char *expr[4];
    for (int i = 0; i < 4; i++) {
        if ((expr[i] = fg_api->code_param(cg, params[i])) == NULL) {
            fg_api->error_set(err, FG_E_NOT_FOUND,
                              "example_swish_mlp: parameter '%s' is not in the exported model",
                              fg_api->tensor_name(params[i]));
            return FG_E_NOT_FOUND;
        }
    }
    const long hidden = (long)fg_api->tensor_dim(m->w_in, 0);
    const long d_model = (long)fg_api->tensor_dim(m->w_in, 1);
    fg_api->code_printf(cg,
                        "    float *h = fgc_alloc((long)T * %ld);\n"
                        "    fgc_linear(h, x, %s, %s, T, %ld, %ld);\n",
                        hidden, expr[0], expr[1], d_model, hidden);
    if (m->beta == 1.0)
        fg_api->code_printf(cg, "    fgc_silu(h, h, (long)T * %ld);\n", hidden);
    else /* as the forward computes it: silu(beta h) / beta */
        fg_api->code_printf(cg,
                            "    /* swish: h * sigmoid(beta h) = silu(beta h) / beta */\n"
                            "    fgc_scale(h, h, %.9g, (long)T * %ld);\n"
                            "    fgc_silu(h, h, (long)T * %ld);\n"
                            "    fgc_scale(h, h, %.9g, (long)T * %ld);\n",
                            (double)(float)m->beta, hidden, hidden, (double)(float)(1.0 / m->beta),
                            hidden);
    fg_api->code_printf(cg,
                        "    fgc_linear(y, h, %s, %s, T, %ld, %ld);\n"
                        "    fgc_free(h);\n",
                        expr[2], expr[3], hidden, d_model);
    return FG_OK;
}

static void swish_mlp_destroy(void *self) { fg_api->free(self); }

static const fg_layer_vtbl swish_mlp_vtbl = {
    .base = {sizeof(fg_layer_vtbl), FG_KIND_FEEDFORWARD, swish_mlp_destroy},
    .forward = swish_mlp_forward,
    .emit_code = swish_mlp_emit_code, /* optional: NULL if the layer cannot be exported */
};

/* Parameters live in the scope the block gives the layer, so they are named
 * "<block>.in.weight" etc. in checkpoints and the optimizer sees them. */
static fg_status swish_mlp_create_params(swish_mlp *m, fg_scope *scope, int64_t d_model,
                                         int64_t hidden, double init_std, fg_error *err) {
    const int64_t s_in_w[2] = {hidden, d_model}, s_in_b[1] = {hidden};
    const int64_t s_out_w[2] = {d_model, hidden}, s_out_b[1] = {d_model};
    fg_status st;
    if ((st = fg_api->param_new(scope, "in.weight", 2, s_in_w, FG_INIT_NORMAL, init_std,
                                &m->w_in, err)) != FG_OK ||
        (st = fg_api->param_new(scope, "in.bias", 1, s_in_b, FG_INIT_ZEROS, 0.0, &m->b_in,
                                err)) != FG_OK ||
        (st = fg_api->param_new(scope, "out.weight", 2, s_out_w, FG_INIT_NORMAL, init_std,
                                &m->w_out, err)) != FG_OK ||
        (st = fg_api->param_new(scope, "out.bias", 1, s_out_b, FG_INIT_ZEROS, 0.0, &m->b_out,
                                err)) != FG_OK)
        return st;
    return FG_OK;
}

static fg_status swish_mlp_create(const fg_params *params, const fg_create_args *args,
                                  void **out, fg_error *err) {
    if (args == NULL || args->struct_size < sizeof(fg_create_args) || args->scope == NULL ||
        args->d_model < 1) {
        fg_api->error_set(err, FG_E_INVALID_ARG,
                          "example_swish_mlp: must be created by a block (it needs a parameter "
                          "scope and d_model >= 1)");
        return FG_E_INVALID_ARG;
    }
    int64_t hidden_mult = 0;
    double init_std = 0.0;
    swish_mlp *m = fg_api->alloc(sizeof(swish_mlp));
    if (m == NULL) {
        fg_api->error_set(err, FG_E_NOMEM, "example_swish_mlp: out of memory");
        return FG_E_NOMEM;
    }
    memset(m, 0, sizeof(*m));
    m->vt = &swish_mlp_vtbl;
    fg_status st;
    if ((st = fg_api->param_int(params, "hidden_mult", &hidden_mult, err)) != FG_OK ||
        (st = fg_api->param_float(params, "beta", &m->beta, err)) != FG_OK ||
        (st = fg_api->param_float(params, "init_std", &init_std, err)) != FG_OK ||
        (st = swish_mlp_create_params(m, args->scope, args->d_model, hidden_mult * args->d_model,
                                      init_std, err)) != FG_OK) {
        swish_mlp_destroy(m);
        return st;
    }
    *out = m;
    return FG_OK;
}

static const fg_param_spec swish_mlp_spec[] = {
    FG_SPEC_INT("hidden_mult", "4", 1, 64, "hidden width as a multiple of d_model"),
    FG_SPEC_FLOAT("beta", "1.0", 0.01, 100, "swish sharpness: x*sigmoid(beta*x)"),
    FG_SPEC_FLOAT("init_std", "0.02", 0, 1, "std of the normal init of both weights"),
};
/* fg-template: feedforward end */

/* ======================= the plugin ======================= */

static const fg_factory_desc factories[] = {
    /* fg-template: optimizer begin */
    FG_FACTORY(FG_KIND_OPTIMIZER, "example_sgd_momentum",
               "SGD with heavy-ball momentum: buf = momentum*buf + g, p -= lr*buf. "
               "Checkpoints its momentum buffers.",
               sgdm_spec, sgdm_create),
    /* fg-template: optimizer end */
    /* fg-template: feedforward begin */
    FG_FACTORY(FG_KIND_FEEDFORWARD, "example_swish_mlp",
               "Feed-forward layer: linear to hidden_mult*d_model, swish "
               "(x*sigmoid(beta*x)), linear back to d_model.",
               swish_mlp_spec, swish_mlp_create),
    /* fg-template: feedforward end */
};

FG_PLUGIN_DEFINE("example", "0.1.0", "Example plugin: an optimizer and a feed-forward layer",
                 "MIT", factories)
