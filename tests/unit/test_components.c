/* Every model component, built from YAML through its plugin as a config would build it:
 * its parameter names and shapes, and its gradients against central finite differences.
 * The objective is sum(out * R) for a fixed random R; each parameter element and each
 * input element is perturbed in turn. Parameters are jittered after creation so that
 * biases, norm weights and swish slopes are not at their special initial values.
 * Also the plugins' own argument checks, each naming the factory and the value. */
#include "autodiff/graph.h"
#include "config/objects_internal.h"
#include "fg_test.h"
#include "threads/threads.h"

#include <forgather/fg_components.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { B = 2, T = 5, VOCAB = 11, MAX_OUT = B * T * 64 };

typedef struct component_case {
    const char *name;
    int32_t kind;         /* the layer kind, or FG_KIND_MODEL */
    int64_t d_model;      /* layers: the width the owner passes */
    const char *yaml;     /* the root entry c: a !partial for layers, a !singleton model */
    const char *params;   /* "name[shape] ..." in creation order */
} component_case;

#define ATTN_PARAMS_16(qkv) \
    "qkv.weight[" #qkv ",16] qkv.bias[" #qkv "] proj.weight[16,16] proj.bias[16]"

static const component_case cases[] = {
    {"multihead", FG_KIND_ATTENTION, 16, "c: !partial:multihead { num_heads: 4 }", ATTN_PARAMS_16(48)},
    {"multihead_rope", FG_KIND_ATTENTION, 16,
     "c: !partial:multihead { num_heads: 4, positional: rope, rope_base: 100.0 }", ATTN_PARAMS_16(48)},
    {"multihead_alibi", FG_KIND_ATTENTION, 16,
     "c: !partial:multihead { num_heads: 4, positional: alibi }", ATTN_PARAMS_16(48)},
    {"multihead_gqa_rope", FG_KIND_ATTENTION, 16,
     "c: !partial:multihead { num_heads: 4, num_kv_heads: 2, positional: rope }", ATTN_PARAMS_16(32)},
    {"multihead_mqa_alibi", FG_KIND_ATTENTION, 16,
     "c: !partial:multihead { num_heads: 4, num_kv_heads: 1, positional: alibi }", ATTN_PARAMS_16(24)},
    {"multihead_plain", FG_KIND_ATTENTION, 16,
     "c: !partial:multihead { num_heads: 4, num_kv_heads: 2, impl: plain }", ATTN_PARAMS_16(32)},
    {"multihead_lean", FG_KIND_ATTENTION, 16,
     "c: !partial:multihead { num_heads: 4, num_kv_heads: 2, impl: lean, positional: alibi }",
     ATTN_PARAMS_16(32)},
    {"multihead_attn_dropout", FG_KIND_ATTENTION, 16,
     "c: !partial:multihead { num_heads: 4, attn_dropout: 0.2 }", ATTN_PARAMS_16(48)},
    {"multihead_nobias", FG_KIND_ATTENTION, 8,
     "c: !partial:multihead { num_heads: 2, bias: false, positional: rope }",
     "qkv.weight[24,8] proj.weight[8,8]"},
    {"singlehead", FG_KIND_ATTENTION, 8, "c: !partial:singlehead {}",
     "qkv.weight[24,8] qkv.bias[24] proj.weight[8,8] proj.bias[8]"},
    {"singlehead_rope", FG_KIND_ATTENTION, 8, "c: !partial:singlehead { positional: rope }",
     "qkv.weight[24,8] qkv.bias[24] proj.weight[8,8] proj.bias[8]"},
    {"mlp_gelu", FG_KIND_FEEDFORWARD, 8, "c: !partial:mlp { hidden_mult: 2 }",
     "fc.weight[16,8] fc.bias[16] proj.weight[8,16] proj.bias[8]"},
    {"mlp_relu", FG_KIND_FEEDFORWARD, 8, "c: !partial:mlp { d_hidden: 12, activation: relu }",
     "fc.weight[12,8] fc.bias[12] proj.weight[8,12] proj.bias[8]"},
    {"mlp_silu_nobias", FG_KIND_FEEDFORWARD, 8,
     "c: !partial:mlp { hidden_mult: 1, activation: silu, bias: false }",
     "fc.weight[8,8] proj.weight[8,8]"},
    /* automatic width: 8 * ceil(floor(2 * 4 * 8 / 3) / 8) = 24 */
    {"glu_relu", FG_KIND_FEEDFORWARD, 8, "c: !partial:glu { activation: relu, bias: true }",
     "gate.weight[24,8] gate.bias[24] up.weight[24,8] up.bias[24] proj.weight[8,24] proj.bias[8]"},
    {"swiglu", FG_KIND_FEEDFORWARD, 8, "c: !partial:swiglu { d_hidden: 12 }",
     "gate.weight[12,8] up.weight[12,8] proj.weight[8,12]"},
    {"geglu", FG_KIND_FEEDFORWARD, 8, "c: !partial:geglu { hidden_mult: 2, multiple_of: 5 }",
     "gate.weight[10,8] up.weight[10,8] proj.weight[8,10]"},
    {"swish", FG_KIND_FEEDFORWARD, 8, "c: !partial:swish { hidden_mult: 2, beta: 1.5 }",
     "fc.weight[16,8] fc.bias[16] proj.weight[8,16] proj.bias[8] beta[16]"},
    {"layernorm", FG_KIND_NORM, 8, "c: !partial:layernorm {}", "weight[8] bias[8]"},
    {"layernorm_nobias", FG_KIND_NORM, 8, "c: !partial:layernorm { bias: false }", "weight[8]"},
    {"rmsnorm", FG_KIND_NORM, 8, "c: !partial:rmsnorm {}", "weight[8]"},
    {"pre_norm_block", FG_KIND_BLOCK, 8,
     "c: !partial:pre_norm_block\n"
     "  attention: !partial:multihead { num_heads: 2, positional: rope }\n"
     "  feedforward: !partial:swiglu { d_hidden: 8 }\n"
     "  norm: !partial:rmsnorm {}\n",
     "ln_1.weight[8] attn.qkv.weight[24,8] attn.qkv.bias[24] attn.proj.weight[8,8] "
     "attn.proj.bias[8] ln_2.weight[8] ff.gate.weight[8,8] ff.up.weight[8,8] ff.proj.weight[8,8]"},
    {"post_norm_block", FG_KIND_BLOCK, 8,
     "c: !partial:post_norm_block\n"
     "  attention: !partial:singlehead {}\n"
     "  feedforward: !partial:mlp { hidden_mult: 1 }\n",
     "ln_1.weight[8] ln_1.bias[8] attn.qkv.weight[24,8] attn.qkv.bias[24] attn.proj.weight[8,8] "
     "attn.proj.bias[8] ln_2.weight[8] ln_2.bias[8] ff.fc.weight[8,8] ff.fc.bias[8] "
     "ff.proj.weight[8,8] ff.proj.bias[8]"},
#define LM(positional, tied, attention)                                                    \
    "c: !singleton:causal_lm\n"                                                            \
    "  vocab_size: 11\n  d_model: 8\n  num_layers: 2\n  max_seq_len: 6\n"                  \
    "  positional: " positional "\n  tie_embeddings: " tied "\n"                           \
    "  block: !partial:pre_norm_block\n"                                                   \
    "    attention: " attention "\n"                                                       \
    "    feedforward: !partial:mlp { hidden_mult: 1 }\n"
#define LM_BLOCK(i)                                                                        \
    "blocks." #i ".ln_1.weight[8] blocks." #i ".ln_1.bias[8] blocks." #i ".attn.qkv.weight[24,8] " \
    "blocks." #i ".attn.qkv.bias[24] blocks." #i ".attn.proj.weight[8,8] blocks." #i             \
    ".attn.proj.bias[8] blocks." #i ".ln_2.weight[8] blocks." #i ".ln_2.bias[8] blocks." #i      \
    ".ff.fc.weight[8,8] blocks." #i ".ff.fc.bias[8] blocks." #i ".ff.proj.weight[8,8] blocks." #i \
    ".ff.proj.bias[8] "
    {"causal_lm_learned_tied", FG_KIND_MODEL, 0, LM("learned", "true", "!partial:multihead { num_heads: 2 }"),
     "wte.weight[11,8] wpe.weight[6,8] " LM_BLOCK(0) LM_BLOCK(1) "ln_f.weight[8] ln_f.bias[8]"},
    {"causal_lm_sinusoidal_untied", FG_KIND_MODEL, 0,
     LM("sinusoidal", "false", "!partial:multihead { num_heads: 2 }"),
     "wte.weight[11,8] " LM_BLOCK(0) LM_BLOCK(1) "ln_f.weight[8] ln_f.bias[8] lm_head.weight[11,8]"},
    {"causal_lm_sinusoidal_scaled", FG_KIND_MODEL, 0,
     LM("sinusoidal", "true", "!partial:multihead { num_heads: 2 }") "  embedding_scale: 2.5\n",
     "wte.weight[11,8] " LM_BLOCK(0) LM_BLOCK(1) "ln_f.weight[8] ln_f.bias[8]"},
    {"causal_lm_none_rope", FG_KIND_MODEL, 0,
     LM("none", "true", "!partial:multihead { num_heads: 2, positional: rope }"),
     "wte.weight[11,8] " LM_BLOCK(0) LM_BLOCK(1) "ln_f.weight[8] ln_f.bias[8]"},
    {"causal_lm_none_alibi", FG_KIND_MODEL, 0,
     LM("none", "false", "!partial:multihead { num_heads: 2, positional: alibi }"),
     "wte.weight[11,8] " LM_BLOCK(0) LM_BLOCK(1) "ln_f.weight[8] ln_f.bias[8] lm_head.weight[11,8]"},
};

/* A built component and what its objective needs. */
typedef struct subject {
    const component_case *c;
    void *obj;
    fg_graph *g;
    fg_tensor *input; /* x [B, T, d_model] for layers, token ids [B, T] for models */
    uint64_t n_params;
    fg_tensor *const *params;
    float R[MAX_OUT];
} subject;

/* The output of a fresh forward; NULL (and a failed check) on error. */
static fg_tensor *forward(subject *s) {
    fg_graph_reset(s->g);
    for (uint64_t i = 0; i < s->n_params; i++)
        memset(s->params[i]->grad, 0, (size_t)s->params[i]->numel * sizeof(float));
    fg_tensor *out = NULL;
    fg_error err = {0};
    fg_status st;
    if (s->c->kind == FG_KIND_MODEL) {
        const fg_model_vtbl *vt = *(const fg_model_vtbl *const *)s->obj;
        st = vt->forward(s->obj, s->g, s->input, NULL, &out, NULL, &err);
    } else {
        s->input->grad = NULL; /* the graph hands out a fresh one */
        const fg_layer_vtbl *vt = *(const fg_layer_vtbl *const *)s->obj;
        st = vt->forward(s->obj, s->g, s->input, &out, &err);
    }
    if (st != FG_OK || out == NULL || out->numel > MAX_OUT) {
        CHECK_MSG(0, "%s: forward: %s", s->c->name, err.msg);
        return NULL;
    }
    return out;
}

static double objective(void *ctx) {
    subject *s = ctx;
    fg_tensor *out = forward(s);
    if (out == NULL) return NAN;
    double sum = 0.0;
    for (int64_t k = 0; k < out->numel; k++) sum += (double)fg_f32(out)[k] * s->R[k];
    return sum;
}

/* Creates case c into s: layers from their partial with an owner's arguments (a fresh
 * parameter scope, d_model, layer 0 of 2), models as the root singleton. */
static int build(fg_test_env *env, const component_case *c, subject *s, fg_error *err) {
    if (fg_test_env_load(env, c->yaml) != 0) {
        *err = env->err;
        return -1;
    }
    if (c->kind == FG_KIND_MODEL) {
        if (fg_objects_build(env->objects, "c", FG_KIND_MODEL, &s->obj, err) != FG_OK) return -1;
        return fg_scope_params(fg_objects_scope_of(s->obj), &s->n_params, &s->params, err) == FG_OK ? 0 : -1;
    }
    const fg_partial *partial = NULL;
    fg_scope *scope = NULL;
    if (fg_objects_partial(env->objects, "c", c->kind, &partial, err) != FG_OK ||
        fg_scope_new_root(env->objects, &scope, err) != FG_OK)
        return -1;
    fg_create_args args = {.struct_size = sizeof args, .layer_index = 0, .scope = scope,
                           .d_model = c->d_model, .max_seq_len = T, .num_layers = 2};
    if (fg_objects_construct(partial, &args, &s->obj, err) != FG_OK) return -1;
    return fg_scope_params(scope, &s->n_params, &s->params, err) == FG_OK ? 0 : -1;
}

static void check_param_names(const subject *s) {
    char got[2048] = "";
    size_t len = 0;
    for (uint64_t i = 0; i < s->n_params && len < sizeof got; i++) {
        const fg_tensor *p = s->params[i];
        len += (size_t)snprintf(got + len, sizeof got - len, "%s%s[%lld", i ? " " : "", p->name,
                                (long long)p->shape[0]);
        for (int32_t d = 1; d < p->ndim && len < sizeof got; d++)
            len += (size_t)snprintf(got + len, sizeof got - len, ",%lld", (long long)p->shape[d]);
        if (len < sizeof got) len += (size_t)snprintf(got + len, sizeof got - len, "]");
    }
    CHECK_MSG(strcmp(got, s->c->params) == 0, "%s: parameters\n  got  %s\n  want %s", s->c->name,
              got, s->c->params);
}

/* Big tensors (embeddings, the LM's matrices) are sampled; the rest checked whole. */
static int64_t sample_stride(const subject *s, const fg_tensor *t) {
    return s->c->kind == FG_KIND_MODEL && t->numel > 40 ? 7 : 1;
}

static void check_component(const component_case *c) {
    static const fg_test_fd tol = {1e-3, 1e-3, 2e-2};
    fg_test_env env;
    fg_error err = {0};
    subject s = {.c = c};
    if (build(&env, c, &s, &err) != 0) {
        CHECK_MSG(0, "%s: building: %s", c->name, err.msg);
        fg_test_env_free(&env);
        return;
    }
    check_param_names(&s);
    fg_test_seed(c->name);
    for (uint64_t i = 0; i < s.n_params; i++)
        for (int64_t k = 0; k < s.params[i]->numel; k++)
            fg_f32(s.params[i])[k] += (float)fg_test_uniform(-0.2, 0.2);
    for (int k = 0; k < MAX_OUT; k++) s.R[k] = (float)fg_test_uniform(-1, 1);
    if (c->kind == FG_KIND_MODEL) {
        const int64_t shape[2] = {B, T};
        s.input = fg_test_tensor(FG_DTYPE_I32, 2, shape, 0);
        for (int k = 0; k < B * T; k++) ((int32_t *)s.input->data)[k] = (int32_t)fg_test_uniform(0, VOCAB);
    } else {
        const int64_t shape[3] = {B, T, c->d_model};
        s.input = fg_test_tensor(FG_DTYPE_F32, 3, shape, 0);
        for (int64_t k = 0; k < s.input->numel; k++) fg_f32(s.input)[k] = (float)fg_test_uniform(-1, 1);
    }
    fg_graph_create(&s.g, &err);

    /* Analytic gradients: copied out, since the next forward clears them. */
    float **grads = calloc(s.n_params + 1, sizeof *grads);
    fg_tensor *out = forward(&s);
    fg_tensor *seed = out != NULL ? fg_graph_tensor(s.g, FG_DTYPE_F32, out->ndim, out->shape) : NULL;
    if (seed != NULL) memcpy(seed->data, s.R, (size_t)out->numel * sizeof(float));
    int ok = seed != NULL && fg_graph_backward(s.g, out, seed, FG_BACKWARD_FULL, &err) == FG_OK;
    CHECK_MSG(seed == NULL || ok, "%s: backward: %s", c->name, err.msg);
    for (uint64_t i = 0; ok && i < s.n_params; i++) {
        grads[i] = malloc((size_t)s.params[i]->numel * sizeof(float));
        memcpy(grads[i], s.params[i]->grad, (size_t)s.params[i]->numel * sizeof(float));
    }
    if (ok && c->kind != FG_KIND_MODEL) {
        grads[s.n_params] = calloc((size_t)s.input->numel, sizeof(float));
        CHECK_MSG(s.input->grad != NULL, "%s: no gradient reached the input", c->name);
        if (s.input->grad != NULL)
            memcpy(grads[s.n_params], s.input->grad, (size_t)s.input->numel * sizeof(float));
    }

    double worst = 0.0;
    int64_t checked = 0;
    char what[160];
    for (uint64_t i = 0; ok && i < s.n_params; i++) {
        fg_tensor *p = s.params[i];
        int64_t stride = sample_stride(&s, p);
        snprintf(what, sizeof what, "%s: %s", c->name, p->name);
        worst = fmax(worst, fg_test_fd_check(what, fg_f32(p), grads[i], p->numel, stride, objective,
                                             &s, &tol));
        checked += (p->numel + stride - 1) / stride;
    }
    if (ok && grads[s.n_params] != NULL) {
        snprintf(what, sizeof what, "%s: input", c->name);
        worst = fmax(worst, fg_test_fd_check(what, fg_f32(s.input), grads[s.n_params],
                                             s.input->numel, 1, objective, &s, &tol));
        checked += s.input->numel;
    }
    if (ok)
        printf("  %-28s %5lld elements in %2llu parameters%s, max |analytic - numeric| = %.2e\n",
               c->name, (long long)checked, (unsigned long long)s.n_params,
               c->kind == FG_KIND_MODEL ? "" : " + input", worst);
    for (uint64_t i = 0; i <= s.n_params; i++) free(grads[i]);
    free(grads);
    fg_graph_destroy(s.g);
    fg_test_tensor_free(s.input);
    fg_test_env_free(&env);
}

/* Bad values each fail at creation with a message naming the factory and the value. */
static void check_errors(void) {
    static const struct {
        int32_t kind;
        int64_t d_model;
        const char *yaml, *says;
    } bad[] = {
        {FG_KIND_ATTENTION, 16, "c: !partial:multihead { num_heads: 3 }",
         "multihead: num_heads 3 must be >= 1 and divide d_model 16"},
        {FG_KIND_ATTENTION, 16, "c: !partial:multihead { num_heads: 4, num_kv_heads: 3 }",
         "multihead: num_kv_heads 3 must divide num_heads 4"},
        {FG_KIND_ATTENTION, 16, "c: !partial:multihead { num_heads: 2, num_kv_heads: 4 }",
         "multihead: num_kv_heads 4 must divide num_heads 2"},
        {FG_KIND_ATTENTION, 6, "c: !partial:multihead { num_heads: 2, positional: rope }",
         "multihead: positional rope pairs the dims of a head, so the head width must be even; got 3"},
        {FG_KIND_ATTENTION, 8, "c: !partial:singlehead { positional: rope, rope_base: 0 }",
         "singlehead: rope_base must be a finite number > 0, got 0"},
        {FG_KIND_ATTENTION, 8, "c: !partial:singlehead { attn_dropout: 1.0 }",
         "singlehead: attn_dropout 1 is not in [0, 1)"},
        {FG_KIND_FEEDFORWARD, 8, "c: !partial:swish { beta: .nan }", "swish: beta must be finite, got nan"},
        {FG_KIND_FEEDFORWARD, 8, "c: !partial:mlp { dropout: 1.0 }", "mlp: dropout 1 is not in [0, 1)"},
        {FG_KIND_FEEDFORWARD, 8, "c: !partial:geglu { dropout: 1.0 }", "geglu: dropout 1 is not in [0, 1)"},
        {FG_KIND_NORM, 8, "c: !partial:rmsnorm { eps: 0 }", "rmsnorm: eps must be > 0, got 0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const component_case c = {"bad", bad[i].kind, bad[i].d_model, bad[i].yaml, ""};
        subject s = {.c = &c};
        fg_test_env env;
        fg_error err = {0};
        const int built = build(&env, &c, &s, &err) == 0;
        fg_test_env_free(&env);
        CHECK_MSG(!built && strstr(err.msg, bad[i].says) != NULL, "%s: want '%s', got '%s'",
                  bad[i].yaml, bad[i].says, err.msg);
    }
}

/* The model refuses a sequence longer than max_seq_len, naming both. */
static void check_model_length(void) {
    fg_test_env env;
    fg_error err = {0};
    const component_case c = {"lm", FG_KIND_MODEL, 0, LM("sinusoidal", "true", "!partial:singlehead {}"), ""};
    subject s = {.c = &c};
    if (build(&env, &c, &s, &err) != 0) {
        CHECK_MSG(0, "building: %s", err.msg);
        fg_test_env_free(&env);
        return;
    }
    const int64_t shape[2] = {1, 7};
    fg_tensor *tokens = fg_test_tensor(FG_DTYPE_I32, 2, shape, 0);
    fg_graph *g;
    fg_graph_create(&g, &err);
    const fg_model_vtbl *vt = *(const fg_model_vtbl *const *)s.obj;
    fg_tensor *logits = NULL;
    CHECK(vt->forward(s.obj, g, tokens, NULL, &logits, NULL, &err) == FG_E_RANGE);
    CHECK_MSG(strstr(err.msg, "causal_lm: sequence length 7 (after 0 cached positions) exceeds "
                              "max_seq_len 6") != NULL,
              "got '%s'", err.msg);
    fg_graph_destroy(g);
    fg_test_tensor_free(tokens);
    fg_test_env_free(&env);
}

/* The absolute positions themselves. With every block's sub-layers zeroed (the residual
 * stream passes unchanged), wte zero and lm_head the identity on the first d_model
 * logits, the logits are rmsnorm(positions[t]): so they show wpe's rows (learned) or the
 * sinusoids of Vaswani et al. (computed here in double) for each t. */
static void check_position_values(const char *positional) {
    static const char *yaml_fmt =
        "c: !singleton:causal_lm\n"
        "  vocab_size: 11\n  d_model: 8\n  num_layers: 1\n  max_seq_len: 6\n"
        "  positional: %s\n  tie_embeddings: false\n"
        "  final_norm: !partial:rmsnorm { eps: 1.0e-6 }\n"
        "  block: !partial:pre_norm_block\n"
        "    attention: !partial:singlehead {}\n"
        "    feedforward: !partial:mlp { hidden_mult: 1 }\n";
    char yaml[512];
    snprintf(yaml, sizeof yaml, yaml_fmt, positional);
    const component_case c = {positional, FG_KIND_MODEL, 0, yaml, ""};
    subject s = {.c = &c};
    fg_test_env env;
    fg_error err = {0};
    if (build(&env, &c, &s, &err) != 0) {
        CHECK_MSG(0, "%s: building: %s", positional, err.msg);
        fg_test_env_free(&env);
        return;
    }
    const float *wpe = NULL;
    for (uint64_t i = 0; i < s.n_params; i++) {
        fg_tensor *p = s.params[i];
        if (strstr(p->name, ".attn.") || strstr(p->name, ".ff.") || strcmp(p->name, "wte.weight") == 0)
            memset(p->data, 0, (size_t)p->numel * sizeof(float));
        if (strcmp(p->name, "lm_head.weight") == 0) {
            memset(p->data, 0, (size_t)p->numel * sizeof(float));
            for (int64_t k = 0; k < 8; k++) fg_f32(p)[k * 8 + k] = 1.0f;
        }
        if (strcmp(p->name, "wpe.weight") == 0) wpe = fg_f32(p);
    }
    const int64_t shape[2] = {B, 6};
    s.input = fg_test_tensor(FG_DTYPE_I32, 2, shape, 0);
    for (int k = 0; k < B * 6; k++) ((int32_t *)s.input->data)[k] = (int32_t)fg_test_uniform(0, VOCAB);
    fg_graph_create(&s.g, &err);
    fg_tensor *logits = forward(&s);
    double worst = 0.0;
    for (int64_t bt = 0; logits != NULL && bt < B * 6; bt++) {
        const int64_t t = bt % 6;
        double pe[8], ms = 0.0;
        for (int64_t j = 0; j < 8; j++) {
            const double inv_freq = pow(10000.0, -(double)(j - j % 2) / 8.0); /* 2i = j - j%2 */
            pe[j] = wpe != NULL ? wpe[t * 8 + j] : j % 2 ? cos((double)t * inv_freq) : sin((double)t * inv_freq);
            ms += pe[j] * pe[j] / 8.0;
        }
        for (int64_t j = 0; j < 8; j++)
            worst = fmax(worst, fabs(fg_f32(logits)[bt * VOCAB + j] - pe[j] / sqrt(ms + 1e-6)));
    }
    CHECK_MSG(logits != NULL && worst < 1e-5, "%s positions: max error %g", positional, worst);
    printf("  %-28s positions in the logits: max |model - formula| = %.1e\n", positional, worst);
    fg_graph_destroy(s.g);
    fg_test_tensor_free(s.input);
    fg_test_env_free(&env);
}

/* Logits of tokens[from, to) on an inference graph g, copied into out [to - from, VOCAB]. */
static int infer(void *model, fg_graph *g, const int32_t *tokens, int64_t from, int64_t to,
                 float *out, fg_error *err) {
    const int64_t shape[2] = {1, to - from};
    fg_tensor *ids = fg_test_tensor(FG_DTYPE_I32, 2, shape, 0);
    memcpy(ids->data, tokens + from, (size_t)(to - from) * sizeof(int32_t));
    fg_graph_reset(g); /* with a KV cache: keeps it, and moves past the last forward */
    const fg_model_vtbl *vt = *(const fg_model_vtbl *const *)model;
    fg_tensor *logits = NULL;
    fg_status st = vt->forward(model, g, ids, NULL, &logits, NULL, err);
    if (st == FG_OK) memcpy(out, logits->data, (size_t)logits->numel * sizeof(float));
    fg_test_tensor_free(ids);
    return st == FG_OK ? 0 : -1;
}

/* Incremental decoding: the positions of a forward start at graph_position, so 4 tokens
 * then 2 more through a KV cache give the logits of one 6-token forward. */
static void check_incremental(const char *name, const char *yaml) {
    const component_case c = {name, FG_KIND_MODEL, 0, yaml, ""};
    subject s = {.c = &c};
    fg_test_env env;
    fg_error err = {0};
    if (build(&env, &c, &s, &err) != 0) {
        CHECK_MSG(0, "%s: building: %s", name, err.msg);
        fg_test_env_free(&env);
        return;
    }
    fg_test_seed(name);
    for (uint64_t i = 0; i < s.n_params; i++)
        for (int64_t k = 0; k < s.params[i]->numel; k++)
            fg_f32(s.params[i])[k] += (float)fg_test_uniform(-0.2, 0.2);
    int32_t tokens[6];
    for (int k = 0; k < 6; k++) tokens[k] = (int32_t)fg_test_uniform(0, VOCAB);
    float whole[6 * VOCAB], pieces[6 * VOCAB];
    fg_graph *g_whole = NULL, *g_cached = NULL;
    fg_graph_create(&g_whole, &err);
    fg_graph_create(&g_cached, &err);
    g_whole->training = 0;
    g_cached->training = 0;
    int ok = infer(s.obj, g_whole, tokens, 0, 6, whole, &err) == 0 &&
             fg_graph_kv_cache(g_cached, 6, &err) == FG_OK &&
             infer(s.obj, g_cached, tokens, 0, 4, pieces, &err) == 0 &&
             infer(s.obj, g_cached, tokens, 4, 6, pieces + 4 * VOCAB, &err) == 0;
    double worst = 0.0;
    for (int k = 0; ok && k < 6 * VOCAB; k++) worst = fmax(worst, fabs(whole[k] - pieces[k]));
    CHECK_MSG(ok && worst < 1e-5, "%s: incremental vs whole: %s (max difference %g)", name,
              ok ? "differ" : err.msg, worst);
    if (ok) printf("  %-28s 4 + 2 tokens through a KV cache vs 6 at once: max difference %.1e\n", name, worst);
    fg_graph_destroy(g_whole);
    fg_graph_destroy(g_cached);
    fg_test_env_free(&env);
}

int main(void) {
    fg_threads_init(2);
    printf("component gradients vs central differences (eps 1e-3, tolerance 1e-3 + 2e-2*|g|):\n");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_component(&cases[i]);
    check_errors();
    check_position_values("learned");
    check_position_values("sinusoidal");
    check_incremental("kv_learned", LM("learned", "true", "!partial:multihead { num_heads: 2 }"));
    check_incremental("kv_sinusoidal", LM("sinusoidal", "false", "!partial:singlehead {}"));
    check_incremental("kv_rope_gqa",
                      LM("none", "true", "!partial:multihead { num_heads: 4, num_kv_heads: 2, positional: rope }"));
    check_incremental("kv_alibi_mqa",
                      LM("none", "true", "!partial:multihead { num_heads: 4, num_kv_heads: 1, positional: alibi }"));
    check_model_length();
    return fg_test_finish("test_components");
}
