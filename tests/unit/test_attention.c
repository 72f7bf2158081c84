/* The attention op through the graph (the kernels themselves are checked against a
 * double reference in test_kernels.c): validation of its descriptor, the qkv wrapper,
 * dropout only while training, the inference KV cache (incremental decoding matches a
 * full forward; its errors), and the memory of the plain and lean paths. */
#include "autodiff/graph.h"
#include "autodiff/ops.h"
#include "fg_test.h"
#include "ops/kernels.h"
#include "threads/threads.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static fg_graph *new_graph(int training) {
    fg_graph *g = NULL;
    fg_error err;
    CHECK(fg_graph_create(&g, &err) == FG_OK);
    g->training = training;
    return g;
}

/* A test-owned [B, T, W] input with values in [-1.5, 1.5). */
static fg_tensor *random_input(int64_t B, int64_t T, int64_t W) {
    const int64_t shape[3] = {B, T, W};
    fg_tensor *t = fg_test_tensor(FG_DTYPE_F32, 3, shape, 0);
    for (int64_t i = 0; i < t->numel; i++) fg_f32(t)[i] = (float)fg_test_uniform(-1.5, 1.5);
    return t;
}

/* [B, t1 - t0, W]: positions t0..t1-1 of x, in the graph's arena. */
static fg_tensor *slice_positions(fg_graph *g, const fg_tensor *x, int64_t t0, int64_t t1) {
    const int64_t B = x->shape[0], T = x->shape[1], W = x->shape[2];
    const int64_t shape[3] = {B, t1 - t0, W};
    fg_tensor *s = fg_graph_tensor(g, FG_DTYPE_F32, 3, shape);
    for (int64_t b = 0; b < B; b++)
        memcpy(fg_f32(s) + b * (t1 - t0) * W, fg_f32(x) + (b * T + t0) * W,
               (size_t)((t1 - t0) * W) * sizeof(float));
    return s;
}

static fg_attention_desc desc_of(int32_t H, int32_t Hkv, uint32_t flags, int32_t impl) {
    return (fg_attention_desc){.struct_size = sizeof(fg_attention_desc), .num_heads = H,
                               .num_kv_heads = Hkv, .flags = flags, .impl = impl};
}

/* ---- validation --------------------------------------------------------------------- */

/* The op fails with `code` and a message containing `needle`. */
static void expect_failure(const char *what, fg_tensor *x, const fg_attention_desc *d,
                           fg_status code, const char *needle) {
    fg_graph *g = new_graph(1);
    fg_tensor *out = fg_op_attention(g, x, d);
    int ok = out == NULL && g->status == code && strstr(g->error.msg, needle) != NULL;
    printf("  %-34s %s\n", what, g->error.msg);
    CHECK_MSG(ok, "%s: status %d, message '%s' (want %d and '%s')", what, (int)g->status,
              g->error.msg, (int)code, needle);
    fg_graph_destroy(g);
}

static void test_validation(void) {
    printf("validation\n");
    fg_tensor *x = random_input(1, 3, 24); /* H=2, Hkv=2: D = 4 */
    const int64_t s2[2] = {3, 24}, s3[3] = {1, 3, 24};
    fg_tensor *flat = fg_test_tensor(FG_DTYPE_F32, 2, s2, 0);
    fg_tensor *ints = fg_test_tensor(FG_DTYPE_I32, 3, s3, 0);
    fg_attention_desc d = desc_of(2, 0, FG_ATTN_CAUSAL, FG_ATTN_IMPL_AUTO);
    expect_failure("NULL desc", x, NULL, FG_E_INVALID_ARG, "desc is NULL");
    d.struct_size = 8;
    expect_failure("struct_size too small", x, &d, FG_E_ABI, "struct_size is 8");
    d = desc_of(0, 0, 0, 0);
    expect_failure("no heads", x, &d, FG_E_INVALID_ARG, "num_heads is 0");
    d = desc_of(4, 3, 0, 0);
    expect_failure("Hkv not dividing H", x, &d, FG_E_INVALID_ARG, "num_kv_heads 3 does not divide num_heads 4");
    d = desc_of(4, -1, 0, 0);
    expect_failure("negative Hkv", x, &d, FG_E_INVALID_ARG, "num_kv_heads -1");
    d = desc_of(5, 5, 0, 0); /* 15 heads: 24 is no multiple */
    expect_failure("width not a multiple", x, &d, FG_E_INVALID_ARG, "qkv width 24");
    d = desc_of(2, 0, 4u, 0);
    expect_failure("unknown flag", x, &d, FG_E_INVALID_ARG, "unknown flags 0x4");
    d = desc_of(2, 0, 0, 3);
    expect_failure("bad impl", x, &d, FG_E_INVALID_ARG, "impl 3");
    d = desc_of(2, 0, 0, 0);
    d.dropout = 1.0;
    expect_failure("dropout 1", x, &d, FG_E_RANGE, "dropout 1 is not in [0, 1)");
    d.dropout = -0.1;
    expect_failure("dropout < 0", x, &d, FG_E_RANGE, "dropout -0.1");
    d.dropout = NAN;
    expect_failure("dropout NaN", x, &d, FG_E_RANGE, "dropout nan");
    d = desc_of(2, 0, 0, 0);
    d.scale = INFINITY;
    expect_failure("infinite scale", x, &d, FG_E_RANGE, "scale inf");
    d = desc_of(2, 0, 0, 0);
    expect_failure("2-D input", flat, &d, FG_E_INVALID_ARG, "qkv must be [B, T, (H + 2 Hkv) D], got [3, 24]");
    expect_failure("int32 input", ints, &d, FG_E_TYPE, "must be F32");
    expect_failure("zeroed desc", x, &(fg_attention_desc){0}, FG_E_ABI, "struct_size is 0");

    fg_graph *g = new_graph(1);
    CHECK(fg_op_attention_qkv(g, x, 5, FG_ATTN_CAUSAL) == NULL); /* 15 heads of 24 */
    printf("  %-34s %s\n", "attention_qkv, 5 heads of 24", g->error.msg);
    CHECK(strstr(g->error.msg, "qkv width 24") != NULL);
    fg_graph_destroy(g);
    fg_test_tensor_free(x), fg_test_tensor_free(flat), fg_test_tensor_free(ints);
}

/* op_attention_qkv is op_attention with H = Hkv; dropout acts only while training. */
static void test_wrapper_and_dropout(void) {
    printf("attention_qkv and dropout\n");
    fg_tensor *x = random_input(2, 9, 3 * 16);
    fg_graph *g = new_graph(1);
    fg_attention_desc d = desc_of(4, 4, FG_ATTN_CAUSAL, FG_ATTN_IMPL_AUTO);
    fg_tensor *a = fg_op_attention_qkv(g, x, 4, FG_ATTN_CAUSAL), *b = fg_op_attention(g, x, &d);
    CHECK(a != NULL && b != NULL && memcmp(a->data, b->data, (size_t)a->numel * 4) == 0);
    printf("  %-34s %s\n", "qkv wrapper == op_attention", a && b ? "bit-identical" : "FAILED");
    d.dropout = 0.5;
    g->seed = 3;
    fg_tensor *c = fg_op_attention(g, x, &d);
    CHECK(c != NULL && memcmp(a->data, c->data, (size_t)a->numel * 4) != 0);
    CHECK(g->op_counter == 1); /* the mask has a seed of its own */
    g->training = 0;
    fg_tensor *e = fg_op_attention(g, x, &d);
    CHECK(e != NULL && memcmp(a->data, e->data, (size_t)a->numel * 4) == 0);
    printf("  %-34s %s\n", "dropout while training only", e ? "yes" : "FAILED");
    fg_graph_destroy(g);
    fg_test_tensor_free(x);
}

/* ---- KV cache ----------------------------------------------------------------------- */

typedef struct slot_cfg {
    int32_t H, Hkv, D;
    uint32_t flags;
} slot_cfg;

/* Two attention ops per forward (slots 0 and 1), on x[0] and x[1]. */
static void forward2(fg_graph *g, fg_tensor *const *x, const slot_cfg *c, int32_t impl,
                     fg_tensor **out) {
    for (int k = 0; k < 2; k++) {
        fg_attention_desc d = desc_of(c[k].H, c[k].Hkv, c[k].flags, impl);
        out[k] = fg_op_attention(g, x[k], &d);
    }
}

static double max_diff_rows(const fg_tensor *full, const fg_tensor *part, int64_t t0) {
    const int64_t B = part->shape[0], n = part->shape[1], W = part->shape[2], T = full->shape[1];
    double m = 0.0;
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < n * W; i++)
            m = fmax(m, fabs((double)fg_f32(part)[b * n * W + i] - fg_f32(full)[(b * T + t0) * W + i]));
    return m;
}

/* Prefill `prefill` positions, then decode one at a time up to T: every output row
 * matches the full forward over all T positions. */
static void test_cache_decoding(const char *name, const slot_cfg *c, int32_t impl, int64_t B,
                                int64_t T, int64_t prefill) {
    fg_tensor *x[2];
    for (int k = 0; k < 2; k++) x[k] = random_input(B, T, (c[k].H + 2 * c[k].Hkv) * c[k].D);
    fg_graph *full = new_graph(0), *g = new_graph(0);
    fg_tensor *ref[2];
    forward2(full, x, c, impl, ref);
    CHECK_MSG(full->status == FG_OK, "%s", full->error.msg);
    fg_error err;
    CHECK_MSG(fg_graph_kv_cache(g, T, &err) == FG_OK, "%s", err.msg);
    double worst = 0.0;
    int64_t forwards = 0;
    for (int64_t t0 = 0; t0 < T && g->status == FG_OK; forwards++) {
        const int64_t t1 = t0 == 0 ? prefill : t0 + 1;
        fg_graph_reset(g);
        CHECK(fg_graph_position(g) == t0);
        fg_tensor *xs[2] = {slice_positions(g, x[0], t0, t1), slice_positions(g, x[1], t0, t1)}, *o[2];
        forward2(g, xs, c, impl, o);
        CHECK_MSG(g->status == FG_OK, "%s: %s", name, g->error.msg);
        for (int k = 0; k < 2 && g->status == FG_OK; k++) worst = fmax(worst, max_diff_rows(ref[k], o[k], t0));
        t0 = t1;
    }
    fg_graph_reset(g);
    CHECK(fg_graph_position(g) == T);
    printf("  %-44s %lld forwards, max |cached - full| = %.2e\n", name, (long long)forwards, worst);
    CHECK(worst <= 1e-5);
    fg_graph_destroy(full), fg_graph_destroy(g);
    fg_test_tensor_free(x[0]), fg_test_tensor_free(x[1]);
}

static void test_cache_errors(void) {
    printf("KV cache errors\n");
    fg_error err;
    fg_graph *g = new_graph(1);
    fg_status st = fg_graph_kv_cache(g, 8, &err);
    printf("  %-34s %s\n", "on a training graph", err.msg);
    CHECK(st == FG_E_INVALID_ARG && strstr(err.msg, "training") != NULL && g->kv == NULL);
    g->training = 0;
    CHECK(fg_graph_kv_cache(g, -1, &err) == FG_E_RANGE);
    CHECK(fg_graph_kv_cache(g, 4, &err) == FG_OK);

    fg_tensor *x3 = random_input(2, 3, 24), *x2 = random_input(2, 2, 24), *xb = random_input(1, 1, 24);
    const fg_attention_desc d = desc_of(2, 1, FG_ATTN_CAUSAL, FG_ATTN_IMPL_AUTO); /* D = 6 */
    CHECK(fg_op_attention(g, x3, &d) != NULL);
    CHECK(fg_op_attention(g, x2, &d) == NULL && g->status == FG_E_INVALID_ARG); /* T 3 then 2 */
    printf("  %-34s %s\n", "slots of one forward disagree", g->error.msg);
    fg_graph_reset(g); /* a failed forward is not committed */
    CHECK(fg_graph_position(g) == 0);
    CHECK(fg_op_attention(g, x3, &d) != NULL);
    fg_graph_reset(g);
    CHECK(fg_graph_position(g) == 3);
    CHECK(fg_op_attention(g, x3, &d) == NULL && g->status == FG_E_RANGE &&
          strstr(g->error.msg, "holds 4 positions (its capacity)") != NULL);
    printf("  %-34s %s\n", "past the capacity", g->error.msg);
    fg_graph_reset(g);
    CHECK(fg_graph_position(g) == 3);
    CHECK(fg_op_attention(g, xb, &d) == NULL && g->status == FG_E_INVALID_ARG &&
          strstr(g->error.msg, "batch 2") != NULL);
    printf("  %-34s %s\n", "another batch size", g->error.msg);
    fg_graph_reset(g);
    CHECK(fg_op_attention(g, xb, &(fg_attention_desc){0}) == NULL); /* desc checked first */
    fg_graph_reset(g);
    CHECK(fg_op_attention(g, x2, &d) == NULL && g->status == FG_E_RANGE); /* 3 + 2 > 4 */
    fg_graph_reset(g);
    fg_tensor *x1 = random_input(2, 1, 24);
    CHECK(fg_op_attention(g, x1, &d) != NULL); /* slot 0: fills position 3 */
    CHECK(fg_op_attention(g, x1, &d) == NULL && strstr(g->error.msg, "same attention ops") != NULL);
    printf("  %-34s %s\n", "a new slot late", g->error.msg);
    fg_graph_reset(g);
    g->training = 1;
    CHECK(fg_op_attention(g, x1, &d) == NULL && strstr(g->error.msg, "training") != NULL);
    printf("  %-34s %s\n", "training with a cache", g->error.msg);
    CHECK(fg_graph_kv_cache(g, 0, &err) == FG_OK && g->kv == NULL); /* dropping is always allowed */
    fg_graph_reset(g);
    CHECK(fg_graph_position(g) == 0);
    fg_graph_destroy(g);
    fg_test_tensor_free(x3), fg_test_tensor_free(x2), fg_test_tensor_free(xb), fg_test_tensor_free(x1);
}

/* ---- memory ------------------------------------------------------------------------- */

/* Arena bytes of one forward + backward at B = 1, H = 4, D = 32, T positions. */
static size_t step_bytes(int32_t impl, int64_t T, size_t *scratch) {
    const int64_t H = 4, D = 32;
    fg_tensor *x = random_input(1, T, 3 * H * D);
    fg_graph *g = new_graph(1);
    fg_attention_desc d = desc_of(H, H, FG_ATTN_CAUSAL, impl);
    fg_tensor *out = fg_op_attention(g, x, &d);
    fg_error err;
    CHECK(out != NULL && fg_graph_backward(g, out, out, FG_BACKWARD_FULL, &err) == FG_OK);
    const fgk_attn a = {.T = T, .S = T, .H = H, .Hkv = H, .D = D};
    *scratch = fgk_attention_scratch_floats(&a, impl == FG_ATTN_IMPL_PLAIN, 1) * sizeof(float);
    size_t bytes = g->arena.high_water;
    fg_graph_destroy(g);
    fg_test_tensor_free(x);
    return bytes;
}

static void test_memory(void) {
    printf("memory of one forward + backward, B=1 H=4 D=32 (arena; per-thread scratch)\n");
    size_t prev[2] = {0, 0}, scratch;
    double growth[2] = {0, 0};
    for (int64_t T = 256; T <= 2048; T *= 2) {
        printf("  T=%-5lld", (long long)T);
        for (int i = 0; i < 2; i++) {
            const int32_t impl = i == 0 ? FG_ATTN_IMPL_PLAIN : FG_ATTN_IMPL_LEAN;
            size_t bytes = step_bytes(impl, T, &scratch);
            printf("  %s %8.2f MiB (scratch %6.2f MiB)", i ? "lean" : "plain", bytes / 1048576.0,
                   scratch / 1048576.0);
            if (prev[i]) growth[i] = (double)bytes / (double)prev[i];
            prev[i] = bytes;
        }
        printf("\n");
    }
    printf("  %-44s plain x%.2f, lean x%.2f\n", "growth from T=1024 to 2048", growth[0], growth[1]);
    CHECK(growth[1] < 2.2); /* linear in T */
    CHECK(growth[0] > 3.3); /* the T^2 probabilities dominate */
}

int main(void) {
    fg_threads_init(2);
    test_validation();
    test_wrapper_and_dropout();

    printf("KV cache: prefill, then one position at a time, vs one full forward\n");
    const slot_cfg gqa[2] = {{4, 2, 8, FG_ATTN_CAUSAL}, {2, 1, 12, FG_ATTN_CAUSAL}};
    const slot_cfg alibi[2] = {{4, 2, 8, FG_ATTN_CAUSAL | FG_ATTN_ALIBI},
                               {6, 6, 4, FG_ATTN_CAUSAL | FG_ATTN_ALIBI}};
    const slot_cfg mqa[2] = {{3, 1, 16, FG_ATTN_CAUSAL | FG_ATTN_ALIBI}, {2, 2, 8, FG_ATTN_CAUSAL}};
    test_cache_decoding("plain, causal GQA", gqa, FG_ATTN_IMPL_PLAIN, 2, 40, 7);
    test_cache_decoding("lean, causal GQA", gqa, FG_ATTN_IMPL_LEAN, 2, 40, 7);
    test_cache_decoding("plain, causal ALiBi", alibi, FG_ATTN_IMPL_PLAIN, 2, 40, 1);
    test_cache_decoding("lean, causal ALiBi", alibi, FG_ATTN_IMPL_LEAN, 2, 40, 1);
    /* more keys than one online-softmax step */
    test_cache_decoding("auto, MQA ALiBi, 300 positions", mqa, FG_ATTN_IMPL_AUTO, 1, 300, 200);
    test_cache_errors();
    test_memory();
    return fg_test_finish("test_attention");
}
