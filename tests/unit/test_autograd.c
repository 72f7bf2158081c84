/* Gradient checks through the tape: every op's backward against central finite
 * differences of its forward (evaluated in double from the fp32 outputs), the split
 * B/W backward against the full one, and a whole 2-layer model built from plugins.
 * Also: a steady training step allocates nothing. */
#include "autodiff/graph.h"
#include "autodiff/ops.h"
#include "fg_test.h"
#include "memory/alloc.h"
#include "threads/threads.h"

#include <forgather/fg_components.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IN 4

static uint64_t rng_state = 12345;
static double uniform(void) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* A persistent tensor owned by the test. Parameters keep their gradient buffer;
 * other inputs get one from the graph (like activations). */
static fg_tensor *make_tensor(int32_t dtype, int32_t ndim, const int64_t *shape, int is_param) {
    fg_tensor *t = calloc(1, sizeof *t);
    fg_tensor_set_shape(t, ndim, shape);
    t->dtype = dtype;
    t->data = calloc((size_t)t->numel, 4);
    t->name = "";
    if (dtype == FG_DTYPE_F32) {
        t->flags = FG_T_NEEDS_GRAD | (is_param ? FG_T_PARAM : 0);
        if (is_param) t->grad = calloc((size_t)t->numel, 4);
    }
    return t;
}

static void free_tensor(fg_tensor *t) {
    if (t == NULL) return;
    if (t->flags & FG_T_PARAM) free(t->grad);
    free(t->data);
    free(t);
}

typedef fg_tensor *(*build_fn)(fg_graph *g, fg_tensor **in);

typedef struct op_case {
    const char *name;
    int n_in;
    int32_t ndim[MAX_IN];
    int64_t shape[MAX_IN][4];
    int int_hi[MAX_IN]; /* > 0: an int32 input with values in [0, int_hi) */
    build_fn build;
} op_case;

static fg_tensor *b_linear(fg_graph *g, fg_tensor **in) { return fg_op_linear(g, in[0], in[1], in[2]); }
static fg_tensor *b_linear_nobias(fg_graph *g, fg_tensor **in) { return fg_op_linear(g, in[0], in[1], NULL); }
static fg_tensor *b_embedding(fg_graph *g, fg_tensor **in) { return fg_op_embedding(g, in[0], in[1]); }
static fg_tensor *b_add(fg_graph *g, fg_tensor **in) { return fg_op_add(g, in[0], in[1]); }
static fg_tensor *b_mul(fg_graph *g, fg_tensor **in) { return fg_op_mul(g, in[0], in[1]); }
static fg_tensor *b_scale(fg_graph *g, fg_tensor **in) { return fg_op_scale(g, in[0], -1.7); }
static fg_tensor *b_layernorm(fg_graph *g, fg_tensor **in) { return fg_op_layernorm(g, in[0], in[1], in[2], 1e-5); }
static fg_tensor *b_rmsnorm(fg_graph *g, fg_tensor **in) { return fg_op_rmsnorm(g, in[0], in[1], 1e-6); }
static fg_tensor *b_gelu(fg_graph *g, fg_tensor **in) { return fg_op_gelu(g, in[0]); }
static fg_tensor *b_silu(fg_graph *g, fg_tensor **in) { return fg_op_silu(g, in[0]); }
static fg_tensor *b_relu(fg_graph *g, fg_tensor **in) { return fg_op_relu(g, in[0]); }
static fg_tensor *b_softmax(fg_graph *g, fg_tensor **in) { return fg_op_softmax(g, in[0]); }
static fg_tensor *b_attention(fg_graph *g, fg_tensor **in) { return fg_op_attention_qkv(g, in[0], 2, FG_ATTN_CAUSAL); }
static fg_tensor *b_attention_full(fg_graph *g, fg_tensor **in) { return fg_op_attention_qkv(g, in[0], 3, 0); }
/* op_attention: heads, kv heads, flags, impl, dropout (seed fixed: the same mask every run) */
static fg_tensor *attn(fg_graph *g, fg_tensor *x, int32_t H, int32_t Hkv, uint32_t flags, int32_t impl,
                       double dropout) {
    const fg_attention_desc d = {.struct_size = sizeof d, .num_heads = H, .num_kv_heads = Hkv,
                                 .flags = flags, .impl = impl, .dropout = dropout, .scale = 0.6};
    g->seed = 11;
    return fg_op_attention(g, x, &d);
}
static fg_tensor *b_attn_gqa_plain(fg_graph *g, fg_tensor **in) { return attn(g, in[0], 4, 2, FG_ATTN_CAUSAL, FG_ATTN_IMPL_PLAIN, 0); }
static fg_tensor *b_attn_gqa_lean(fg_graph *g, fg_tensor **in) { return attn(g, in[0], 4, 2, FG_ATTN_CAUSAL, FG_ATTN_IMPL_LEAN, 0); }
static fg_tensor *b_attn_alibi_plain(fg_graph *g, fg_tensor **in) { return attn(g, in[0], 3, 1, FG_ATTN_CAUSAL | FG_ATTN_ALIBI, FG_ATTN_IMPL_PLAIN, 0); }
static fg_tensor *b_attn_alibi_lean(fg_graph *g, fg_tensor **in) { return attn(g, in[0], 3, 1, FG_ATTN_CAUSAL | FG_ATTN_ALIBI, FG_ATTN_IMPL_LEAN, 0); }
static fg_tensor *b_attn_full_alibi_lean(fg_graph *g, fg_tensor **in) { return attn(g, in[0], 2, 2, FG_ATTN_ALIBI, FG_ATTN_IMPL_LEAN, 0); }
static fg_tensor *b_attn_drop_plain(fg_graph *g, fg_tensor **in) { return attn(g, in[0], 2, 1, FG_ATTN_CAUSAL, FG_ATTN_IMPL_PLAIN, 0.3); }
static fg_tensor *b_attn_drop_lean(fg_graph *g, fg_tensor **in) { return attn(g, in[0], 2, 1, FG_ATTN_CAUSAL, FG_ATTN_IMPL_LEAN, 0.3); }
static fg_tensor *b_cross_entropy(fg_graph *g, fg_tensor **in) {
    int32_t *t = in[1]->data;
    t[2] = -1; /* an ignored row */
    return fg_op_cross_entropy(g, in[0], in[1]);
}
static fg_tensor *b_reshape(fg_graph *g, fg_tensor **in) {
    int64_t shape[2] = {3, 4};
    return fg_op_mul(g, fg_op_reshape(g, in[0], 2, shape), in[1]);
}
static fg_tensor *b_dropout(fg_graph *g, fg_tensor **in) {
    g->seed = 7;
    return fg_op_dropout(g, in[0], 0.3);
}
/* A chain: the same tensor used twice, so gradients must accumulate. */
static fg_tensor *b_chain(fg_graph *g, fg_tensor **in) {
    fg_tensor *h = fg_op_gelu(g, fg_op_linear(g, in[0], in[1], NULL));
    return fg_op_add(g, fg_op_mul(g, h, h), fg_op_layernorm(g, h, in[2], NULL, 1e-5));
}

static const op_case cases[] = {
    {"linear", 3, {3, 2, 1}, {{3, 5, 7}, {4, 7}, {4}}, {0}, b_linear},
    {"linear_nobias", 2, {2, 2}, {{6, 3}, {5, 3}}, {0}, b_linear_nobias},
    {"embedding", 2, {2, 2}, {{2, 5}, {6, 4}}, {6, 0}, b_embedding},
    {"add", 2, {2, 2}, {{3, 4}, {3, 4}}, {0}, b_add},
    {"add_broadcast", 2, {3, 2}, {{2, 3, 4}, {3, 4}}, {0}, b_add},
    {"mul", 2, {2, 2}, {{3, 4}, {3, 4}}, {0}, b_mul},
    {"scale", 1, {1}, {{5}}, {0}, b_scale},
    {"layernorm", 3, {2, 1, 1}, {{4, 6}, {6}, {6}}, {0}, b_layernorm},
    {"rmsnorm", 2, {2, 1}, {{4, 6}, {6}}, {0}, b_rmsnorm},
    {"gelu", 1, {1}, {{50}}, {0}, b_gelu},
    {"silu", 1, {1}, {{50}}, {0}, b_silu},
    {"relu", 1, {1}, {{50}}, {0}, b_relu},
    {"softmax", 1, {2}, {{3, 7}}, {0}, b_softmax},
    {"attention_causal", 1, {3}, {{2, 5, 24}}, {0}, b_attention},
    {"attention_full", 1, {3}, {{2, 4, 18}}, {0}, b_attention_full},
    {"attn_gqa_plain", 1, {3}, {{2, 5, 24}}, {0}, b_attn_gqa_plain},        /* D = 3 */
    {"attn_gqa_lean", 1, {3}, {{2, 5, 24}}, {0}, b_attn_gqa_lean},
    {"attn_alibi_plain", 1, {3}, {{2, 6, 20}}, {0}, b_attn_alibi_plain},    /* D = 4 */
    {"attn_alibi_lean", 1, {3}, {{2, 6, 20}}, {0}, b_attn_alibi_lean},
    {"attn_nc_alibi_lean", 1, {3}, {{1, 7, 18}}, {0}, b_attn_full_alibi_lean}, /* D = 3 */
    {"attn_dropout_plain", 1, {3}, {{2, 6, 16}}, {0}, b_attn_drop_plain},   /* D = 4 */
    {"attn_dropout_lean", 1, {3}, {{2, 6, 16}}, {0}, b_attn_drop_lean},
    {"cross_entropy", 2, {2, 1}, {{6, 5}, {6}}, {0, 5}, b_cross_entropy},
    {"reshape", 2, {2, 2}, {{2, 6}, {3, 4}}, {0}, b_reshape},
    {"dropout", 1, {1}, {{100}}, {0}, b_dropout},
    {"chain", 3, {2, 2, 1}, {{4, 5}, {6, 5}, {6}}, {0}, b_chain},
};

/* sum(out * R) in double, after a fresh forward. */
static double objective(fg_graph *g, const op_case *c, fg_tensor **in, const float *R, int64_t *n_out) {
    fg_graph_reset(g);
    for (int i = 0; i < c->n_in; i++)
        if (!(in[i]->flags & FG_T_PARAM)) in[i]->grad = NULL;
    fg_tensor *out = c->build(g, in);
    if (out == NULL) return NAN;
    double s = 0.0;
    for (int64_t k = 0; k < out->numel; k++) s += (double)fg_f32(out)[k] * R[k];
    if (n_out) *n_out = out->numel;
    return s;
}

static fg_tensor *forward_backward(fg_graph *g, const op_case *c, fg_tensor **in, float *R, int mode_split) {
    fg_graph_reset(g);
    for (int i = 0; i < c->n_in; i++) {
        if (in[i]->flags & FG_T_PARAM) memset(in[i]->grad, 0, (size_t)in[i]->numel * 4);
        else in[i]->grad = NULL;
    }
    fg_tensor *out = c->build(g, in);
    if (out == NULL) return NULL;
    int64_t shape[1] = {out->numel};
    fg_tensor *rg = fg_graph_tensor(g, FG_DTYPE_F32, 1, shape);
    memcpy(rg->data, R, (size_t)out->numel * 4);
    fg_error err;
    if (mode_split) {
        CHECK(fg_graph_backward(g, out, rg, FG_BACKWARD_INPUT, &err) == FG_OK);
        CHECK(fg_graph_backward(g, out, rg, FG_BACKWARD_WEIGHT, &err) == FG_OK);
    } else {
        CHECK_MSG(fg_graph_backward(g, out, rg, FG_BACKWARD_FULL, &err) == FG_OK, "%s", err.msg);
    }
    return out;
}

static void check_case(const op_case *c) {
    fg_tensor *in[MAX_IN] = {0};
    for (int i = 0; i < c->n_in; i++) {
        int is_int = c->int_hi[i] > 0;
        in[i] = make_tensor(is_int ? FG_DTYPE_I32 : FG_DTYPE_F32, c->ndim[i], c->shape[i], i > 0);
        for (int64_t k = 0; k < in[i]->numel; k++) {
            if (is_int)
                ((int32_t *)in[i]->data)[k] = (int32_t)(uniform() * c->int_hi[i]);
            else {
                double v = 2.0 * uniform() - 1.0;
                if (strcmp(c->name, "relu") == 0 && fabs(v) < 0.05) v += 0.1; /* stay off the kink */
                fg_f32(in[i])[k] = (float)v;
            }
        }
    }
    fg_graph *g;
    fg_error err;
    fg_graph_create(&g, &err);
    int64_t n_out = 0;
    float R[4096];
    for (int k = 0; k < 4096; k++) R[k] = (float)(2.0 * uniform() - 1.0);
    objective(g, c, in, R, &n_out);
    CHECK_MSG(g->status == FG_OK, "%s: %s", c->name, g->error.msg);
    CHECK(n_out <= 4096);

    fg_tensor *out = forward_backward(g, c, in, R, 0);
    CHECK_MSG(out != NULL, "%s: forward failed: %s", c->name, g->error.msg);
    if (out == NULL) return;
    /* Keep the analytic gradients (the graph's buffers die at the next reset). */
    float *analytic[MAX_IN] = {0};
    for (int i = 0; i < c->n_in; i++) {
        if (in[i]->dtype != FG_DTYPE_F32) continue;
        analytic[i] = calloc((size_t)in[i]->numel, 4);
        if (in[i]->grad) memcpy(analytic[i], in[i]->grad, (size_t)in[i]->numel * 4);
    }
    /* The split backward (B then W) gives the same gradients as the full one. */
    forward_backward(g, c, in, R, 1);
    double split_diff = 0.0;
    for (int i = 0; i < c->n_in; i++)
        for (int64_t k = 0; analytic[i] && in[i]->grad && k < in[i]->numel; k++)
            split_diff = fmax(split_diff, fabs((double)analytic[i][k] - in[i]->grad[k]));
    CHECK_MSG(split_diff <= 1e-6, "%s: split backward differs by %g", c->name, split_diff);

    const double eps = 1e-2, atol = 2e-4, rtol = 1e-2;
    double worst = 0.0;
    for (int i = 0; i < c->n_in; i++) {
        if (analytic[i] == NULL) continue;
        for (int64_t k = 0; k < in[i]->numel; k++) {
            float *x = &fg_f32(in[i])[k];
            float saved = *x;
            *x = saved + (float)eps;
            double fp = objective(g, c, in, R, NULL);
            *x = saved - (float)eps;
            double fm = objective(g, c, in, R, NULL);
            *x = saved;
            double numeric = (fp - fm) / (2 * eps), a = analytic[i][k];
            double diff = fabs(numeric - a);
            double excess = diff - (atol + rtol * fmax(fabs(a), fabs(numeric)));
            if (diff > worst) worst = diff;
            CHECK_MSG(excess <= 0, "%s: input %d element %lld: analytic %.6f numeric %.6f", c->name, i,
                      (long long)k, a, numeric);
        }
    }
    printf("  %-18s max |analytic - numeric| = %.2e, split B/W vs full = %.1e\n", c->name, worst, split_diff);
    for (int i = 0; i < c->n_in; i++) {
        free(analytic[i]);
        free_tensor(in[i]);
    }
    fg_graph_destroy(g);
}

/* ---- whole model ---- */

static const char *model_yaml =
    "model: !singleton:causal_lm\n"
    "  vocab_size: 11\n"
    "  d_model: 16\n"
    "  num_layers: 2\n"
    "  max_seq_len: 8\n"
    "  init_std: 0.3\n"
    "  block: !partial:pre_norm_block\n"
    "    attention: !partial:multihead { num_heads: 2, init_std: 0.3 }\n"
    "    feedforward: !partial:mlp { hidden_mult: 2, init_std: 0.3 }\n";

static double model_loss(void *model, fg_graph *g, fg_tensor *tokens, fg_tensor *targets) {
    const fg_model_vtbl *vt = *(const fg_model_vtbl *const *)model;
    fg_graph_reset(g);
    fg_tensor *loss = NULL;
    fg_error err;
    if (vt->forward(model, g, tokens, targets, NULL, &loss, &err) != FG_OK) {
        fprintf(stderr, "model forward: %s\n", err.msg);
        return NAN;
    }
    return fg_f32(loss)[0];
}

static void check_model(void) {
    fg_test_env env;
    int loaded = fg_test_env_load(&env, model_yaml);
    CHECK_MSG(loaded == 0, "%s", env.err.msg);
    void *model = NULL;
    if (loaded != 0 || fg_objects_build(env.objects, "model", FG_KIND_MODEL, &model, &env.err) != FG_OK) {
        CHECK_MSG(0, "building the model: %s", env.err.msg);
        fg_test_env_free(&env);
        return;
    }
    uint64_t n_params = 0;
    fg_tensor *const *params = NULL;
    fg_scope_params(fg_objects_scope_of(model), &n_params, &params, &env.err);
    CHECK(n_params > 10);

    int64_t shape[2] = {2, 6};
    fg_tensor *tokens = make_tensor(FG_DTYPE_I32, 2, shape, 0);
    fg_tensor *targets = make_tensor(FG_DTYPE_I32, 2, shape, 0);
    for (int k = 0; k < 12; k++) {
        ((int32_t *)tokens->data)[k] = (int32_t)(uniform() * 11);
        ((int32_t *)targets->data)[k] = (int32_t)(uniform() * 11);
    }
    fg_graph *g;
    fg_graph_create(&g, &env.err);
    for (uint64_t i = 0; i < n_params; i++) memset(params[i]->grad, 0, (size_t)params[i]->numel * 4);
    const fg_model_vtbl *vt = *(const fg_model_vtbl *const *)model;
    fg_tensor *loss = NULL;
    fg_graph_reset(g);
    CHECK(vt->forward(model, g, tokens, targets, NULL, &loss, &env.err) == FG_OK);
    CHECK(fg_graph_backward(g, loss, NULL, FG_BACKWARD_FULL, &env.err) == FG_OK);

    /* Every parameter element of the small tensors, and a sample of the big ones. */
    const double eps = 1e-2;
    double worst = 0.0;
    int checked = 0;
    for (uint64_t i = 0; i < n_params; i++) {
        fg_tensor *p = params[i];
        int64_t step = p->numel > 40 ? p->numel / 13 : 1;
        for (int64_t k = 0; k < p->numel; k += step) {
            float *x = &fg_f32(p)[k], saved = *x;
            *x = saved + (float)eps;
            double fp = model_loss(model, g, tokens, targets);
            *x = saved - (float)eps;
            double fm = model_loss(model, g, tokens, targets);
            *x = saved;
            double numeric = (fp - fm) / (2 * eps), a = p->grad[k];
            double diff = fabs(numeric - a);
            worst = fmax(worst, diff);
            CHECK_MSG(diff <= 5e-4 + 1e-2 * fmax(fabs(a), fabs(numeric)),
                      "model: %s[%lld]: analytic %.6f numeric %.6f", p->name, (long long)k, a, numeric);
            checked++;
        }
    }
    printf("  %-18s %d parameter elements in %llu tensors, max |analytic - numeric| = %.2e\n",
           "2-layer model", checked, (unsigned long long)n_params, worst);

    /* Steady state: after the first steps have sized the arena and tape, a training
     * step (forward + backward) allocates nothing. */
    for (int step = 0; step < 3; step++) {
        fg_graph_reset(g);
        vt->forward(model, g, tokens, targets, NULL, &loss, &env.err);
        fg_graph_backward(g, loss, NULL, FG_BACKWARD_FULL, &env.err);
    }
    uint64_t before = fg_alloc_count();
    for (int step = 0; step < 3; step++) {
        fg_graph_reset(g);
        vt->forward(model, g, tokens, targets, NULL, &loss, &env.err);
        fg_graph_backward(g, loss, NULL, FG_BACKWARD_FULL, &env.err);
    }
    CHECK_MSG(fg_alloc_count() == before, "steady-state steps made %llu allocations",
              (unsigned long long)(fg_alloc_count() - before));

    fg_graph_destroy(g);
    free_tensor(tokens);
    free_tensor(targets);
    fg_test_env_free(&env);
}

int main(void) {
    fg_threads_init(2);
    printf("op gradients vs central differences (eps 1e-2, tolerance 2e-4 + 1e-2*|g|):\n");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(&cases[i]);
    check_model();
    return fg_test_finish("test_autograd");
}
