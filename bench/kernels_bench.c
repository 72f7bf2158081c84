/* Kernel benchmark (not part of the test suite): times each kernel of core/ops at the
 * training shapes and prints GB/s (memory-bound ops: the minimum bytes each call must
 * move) or GFLOP/s (matmul-like ops: causal attention counts only the lower triangle).
 *
 * Build and run (standalone):
 *   gcc -std=c11 -O3 -fopenmp -I core bench/kernels_bench.c core/ops/\*.c \
 *       $(pkg-config --cflags --libs openblas) -lm -o /tmp/kernels_bench
 *   OMP_NUM_THREADS=2 /tmp/kernels_bench [--quick] [--cpu]
 * Each figure is the best of several repetitions (at least 3 and ~0.3 s) of wall time.
 * On a shared, busy machine wall time mostly measures the other tenants; --cpu times
 * with the process CPU clock instead, which is meaningful with one thread
 * (OMP_NUM_THREADS=1): time spent descheduled is not counted. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omp.h>

#include "ops/kernels.h"

static double min_time = 0.3;
static int use_cpu_clock = 0;

static double now(void) {
    if (!use_cpu_clock) return omp_get_wtime();
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *fbuf(int64_t n, float lo, float hi) {
    float *p = malloc((size_t)n * sizeof(float));
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    uint64_t s = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        p[i] = lo + (hi - lo) * (float)((s >> 40) * 0x1p-24);
    }
    return p;
}

/* Runs body until min_time has passed (at least 3 times, after one warm-up); returns the
 * best time of one run in seconds. */
#define TIME_BEST(result, body)                                                           \
    do {                                                                                  \
        body;                                                                             \
        double best_ = 1e30, start_ = now();                                              \
        for (int rep_ = 0; rep_ < 3 || now() - start_ < min_time; rep_++) {               \
            double t0_ = now();                                                           \
            body;                                                                         \
            double dt_ = now() - t0_;                                                     \
            if (dt_ < best_) best_ = dt_;                                                 \
        }                                                                                 \
        (result) = best_;                                                                 \
    } while (0)

static void report_gbs(const char *name, const char *shape, double sec, double bytes) {
    printf("%-26s %-28s %9.3f ms  %7.1f GB/s\n", name, shape, sec * 1e3, bytes / sec * 1e-9);
}

static void report_gflops(const char *name, const char *shape, double sec, double flops) {
    printf("%-26s %-28s %9.3f ms  %7.1f GFLOP/s\n", name, shape, sec * 1e3,
           flops / sec * 1e-9);
}

static void bench_memory(int64_t n) {
    float *a = fbuf(n, -1, 1), *b = fbuf(n, -1, 1), *o = fbuf(n, -1, 1);
    char shape[64];
    double t;
    snprintf(shape, sizeof shape, "n=%lld", (long long)n);
    TIME_BEST(t, memcpy(o, a, (size_t)n * sizeof(float)));
    report_gbs("memcpy (1 thread, ref)", shape, t, 8.0 * n);
    TIME_BEST(t, fgk_add(o, a, b, n));
    report_gbs("fgk_add", shape, t, 12.0 * n);
    TIME_BEST(t, fgk_acc(o, a, n));
    report_gbs("fgk_acc", shape, t, 12.0 * n);
    TIME_BEST(t, fgk_acc_scale(o, a, 0.5f, n));
    report_gbs("fgk_acc_scale", shape, t, 12.0 * n);
    TIME_BEST(t, fgk_dropout_fwd(o, b, a, 0.1f, 42, n));
    report_gbs("fgk_dropout_fwd (+mask)", shape, t, 12.0 * n);
    free(a), free(b), free(o);
}

static void bench_linear(int64_t N, int64_t IN, int64_t OUT) {
    float *x = fbuf(N * IN, -1, 1), *w = fbuf(OUT * IN, -1, 1), *b = fbuf(OUT, -1, 1);
    float *out = fbuf(N * OUT, -1, 1), *dx = fbuf(N * IN, 0, 0), *dw = fbuf(OUT * IN, 0, 0);
    float *db = fbuf(OUT, 0, 0);
    char shape[64];
    double t, flops = 2.0 * N * IN * OUT;
    snprintf(shape, sizeof shape, "N=%lld %lld->%lld", (long long)N, (long long)IN, (long long)OUT);
    TIME_BEST(t, fgk_linear_fwd(out, x, w, b, N, IN, OUT));
    report_gflops("linear_fwd", shape, t, flops);
    TIME_BEST(t, fgk_linear_bwd_input(dx, out, w, N, IN, OUT));
    report_gflops("linear_bwd_input", shape, t, flops);
    TIME_BEST(t, fgk_linear_bwd_weight(dw, db, out, x, N, IN, OUT));
    report_gflops("linear_bwd_weight (+db)", shape, t, flops);
    TIME_BEST(t, fgk_linear_bwd_weight(NULL, db, out, x, N, IN, OUT));
    report_gbs("  db only", shape, t, 4.0 * N * OUT);
    free(x), free(w), free(b), free(out), free(dx), free(dw), free(db);
}

/* A GEMM followed by an OpenMP kernel, as in a model: checks that the two thread pools
 * do not fight (see linear.c). Reports the pair against the two run in isolation. */
static void bench_interleaved(int64_t N, int64_t C) {
    float *x = fbuf(N * C, -1, 1), *w = fbuf(3 * C * C, -1, 1), *qkv = fbuf(N * 3 * C, 0, 0);
    float *g = fbuf(C, 0.5f, 1.5f), *y = fbuf(N * C, 0, 0), *mean = fbuf(N, 0, 0);
    float *rstd = fbuf(N, 0, 0);
    char shape[64];
    double t_lin, t_ln, t_pair;
    snprintf(shape, sizeof shape, "N=%lld C=%lld", (long long)N, (long long)C);
    TIME_BEST(t_lin, fgk_linear_fwd(qkv, x, w, NULL, N, C, 3 * C));
    TIME_BEST(t_ln, fgk_layernorm_fwd(y, mean, rstd, x, g, NULL, N, C, 1e-5f));
    TIME_BEST(t_pair, fgk_linear_fwd(qkv, x, w, NULL, N, C, 3 * C);
              fgk_layernorm_fwd(y, mean, rstd, x, g, NULL, N, C, 1e-5f));
    printf("%-26s %-28s %9.3f ms  (alone: %.3f + %.3f ms)\n", "linear_fwd + layernorm_fwd",
           shape, t_pair * 1e3, t_lin * 1e3, t_ln * 1e3);
    free(x), free(w), free(qkv), free(g), free(y), free(mean), free(rstd);
}

static void bench_rows(int64_t N, int64_t C) {
    float *x = fbuf(N * C, -2, 2), *w = fbuf(C, 0.5f, 1.5f), *b = fbuf(C, -1, 1);
    float *out = fbuf(N * C, 0, 0), *dout = fbuf(N * C, -1, 1), *dx = fbuf(N * C, 0, 0);
    float *dw = fbuf(C, 0, 0), *db = fbuf(C, 0, 0), *mean = fbuf(N, 0, 0), *rstd = fbuf(N, 0, 0);
    float *table = fbuf(256 * C, -1, 1), *dtable = fbuf(256 * C, 0, 0);
    int32_t *ids = malloc((size_t)N * sizeof(int32_t));
    for (int64_t n = 0; n < N; n++) ids[n] = (int32_t)((n * 7919) % 256);
    char shape[64];
    double t, nc = (double)N * C;
    snprintf(shape, sizeof shape, "N=%lld C=%lld", (long long)N, (long long)C);
    TIME_BEST(t, fgk_layernorm_fwd(out, mean, rstd, x, w, b, N, C, 1e-5f));
    report_gbs("layernorm_fwd", shape, t, 8.0 * nc);
    TIME_BEST(t, fgk_layernorm_bwd(dx, dw, db, dout, x, w, mean, rstd, N, C));
    report_gbs("layernorm_bwd", shape, t, 16.0 * nc);
    TIME_BEST(t, fgk_rmsnorm_fwd(out, rstd, x, w, N, C, 1e-5f));
    report_gbs("rmsnorm_fwd", shape, t, 8.0 * nc);
    TIME_BEST(t, fgk_rmsnorm_bwd(dx, dw, dout, x, w, rstd, N, C));
    report_gbs("rmsnorm_bwd", shape, t, 16.0 * nc);
    TIME_BEST(t, fgk_embedding_fwd(out, ids, table, N, C));
    report_gbs("embedding_fwd", shape, t, 8.0 * nc);
    TIME_BEST(t, fgk_embedding_bwd(dtable, dout, ids, N, C));
    report_gbs("embedding_bwd", shape, t, 4.0 * nc);
    free(x), free(w), free(b), free(out), free(dout), free(dx), free(dw), free(db);
    free(mean), free(rstd), free(table), free(dtable), free(ids);
}

static void bench_activations(int64_t n) {
    float *x = fbuf(n, -4, 4), *out = fbuf(n, 0, 0), *dout = fbuf(n, -1, 1), *dx = fbuf(n, 0, 0);
    char shape[64];
    double t;
    snprintf(shape, sizeof shape, "n=%lld", (long long)n);
    TIME_BEST(t, fgk_gelu_fwd(out, x, n));
    report_gbs("gelu_fwd", shape, t, 8.0 * n);
    TIME_BEST(t, fgk_gelu_bwd(dx, x, dout, n));
    report_gbs("gelu_bwd", shape, t, 16.0 * n);
    TIME_BEST(t, fgk_silu_fwd(out, x, n));
    report_gbs("silu_fwd", shape, t, 8.0 * n);
    TIME_BEST(t, fgk_silu_bwd(dx, x, dout, n));
    report_gbs("silu_bwd", shape, t, 16.0 * n);
    TIME_BEST(t, fgk_relu_fwd(out, x, n));
    report_gbs("relu_fwd", shape, t, 8.0 * n);
    TIME_BEST(t, fgk_relu_bwd(dx, x, dout, n));
    report_gbs("relu_bwd", shape, t, 16.0 * n);
    free(x), free(out), free(dout), free(dx);
}

static void bench_softmax(int64_t N, int64_t C) {
    float *x = fbuf(N * C, -4, 4), *y = fbuf(N * C, 0, 0), *dy = fbuf(N * C, -1, 1);
    float *dx = fbuf(N * C, 0, 0);
    char shape[64];
    double t;
    snprintf(shape, sizeof shape, "N=%lld C=%lld", (long long)N, (long long)C);
    TIME_BEST(t, fgk_softmax_fwd(y, x, N, C));
    report_gbs("softmax_fwd", shape, t, 8.0 * N * C);
    TIME_BEST(t, fgk_softmax_bwd(dx, y, dy, N, C));
    report_gbs("softmax_bwd", shape, t, 16.0 * N * C);
    free(x), free(y), free(dy), free(dx);
}

static void bench_attention(int64_t B, int64_t T, int64_t C, int64_t H, int causal) {
    int64_t nqkv = B * T * 3 * C, nout = B * T * C;
    float *qkv = fbuf(nqkv, -1, 1), *out = fbuf(nout, 0, 0), *dout = fbuf(nout, -1, 1);
    float *probs = fbuf(B * H * T * T, 0, 0), *lse = fbuf(B * H * T, 0, 0), *dqkv = fbuf(nqkv, 0, 0);
    const fgk_attn a = {.B = B, .T = T, .S = T, .H = H, .Hkv = H, .D = C / H, .q = qkv,
                        .k = qkv + C, .v = qkv + 2 * C, .q_bs = T * 3 * C, .q_ts = 3 * C,
                        .kv_bs = T * 3 * C, .kv_ts = 3 * C,
                        .scale = (float)(1.0 / sqrt((double)(C / H))), .causal = causal};
    char shape[64];
    double t;
    /* QK^T and PV; only the lower triangle when causal. Backward does 4 such products
     * (the lean path 5: it recomputes QK^T). */
    double pairs = causal ? (double)T * (T + 1) / 2 : (double)T * T;
    double flops = 2.0 * 2.0 * B * H * pairs * (C / H);
    snprintf(shape, sizeof shape, "B=%lld T=%lld C=%lld H=%lld%s", (long long)B, (long long)T,
             (long long)C, (long long)H, causal ? " causal" : "");
    TIME_BEST(t, fgk_attention_fwd(&a, out, probs, NULL));
    report_gflops("attention_fwd", shape, t, flops);
    TIME_BEST(t, fgk_attention_bwd(&a, dqkv, dqkv + C, dqkv + 2 * C, dout, out, probs, NULL));
    report_gflops("attention_bwd", shape, t, 2.0 * flops);
    TIME_BEST(t, fgk_attention_fwd(&a, out, NULL, lse));
    report_gflops("attention_fwd lean", shape, t, flops);
    TIME_BEST(t, fgk_attention_bwd(&a, dqkv, dqkv + C, dqkv + 2 * C, dout, out, NULL, lse));
    report_gflops("attention_bwd lean", shape, t, 2.0 * flops);
    free(qkv), free(out), free(dout), free(probs), free(lse), free(dqkv);
}

static void bench_cross_entropy(int64_t N, int64_t V) {
    float *logits = fbuf(N * V, -5, 5), *lse = fbuf(N, 0, 0), *dl = fbuf(N * V, 0, 0);
    int32_t *targets = malloc((size_t)N * sizeof(int32_t));
    for (int64_t n = 0; n < N; n++) targets[n] = (int32_t)((n * 7919) % V);
    int64_t nv;
    char shape[64];
    double t;
    snprintf(shape, sizeof shape, "N=%lld V=%lld", (long long)N, (long long)V);
    TIME_BEST(t, fgk_cross_entropy_fwd(lse, logits, targets, N, V, &nv));
    report_gbs("cross_entropy_fwd", shape, t, 4.0 * N * V);
    TIME_BEST(t, fgk_cross_entropy_bwd(dl, logits, targets, lse, 1.0f, nv, N, V));
    report_gbs("cross_entropy_bwd", shape, t, 12.0 * N * V);
    free(logits), free(lse), free(dl), free(targets);
}

int main(int argc, char **argv) {
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) quick = 1;
        if (strcmp(argv[i], "--cpu") == 0) use_cpu_clock = 1;
    }
    if (quick) min_time = 0.05;
    printf("threads: %d, timer: %s\n", omp_get_max_threads(),
           use_cpu_clock ? "process CPU time" : "wall clock");

    bench_memory(4096 * 512);
    bench_memory(4096 * 2048);

    const int64_t N = 4096;
    bench_linear(N, 512, 1536);
    bench_linear(N, 512, 2048);
    bench_linear(N, 2048, 512);
    bench_linear(N, 512, 256);
    bench_linear(2048, 128, 384);
    if (!quick) bench_linear(N, 512, 50257);
    bench_interleaved(N, 512);

    bench_rows(N, 512);
    bench_rows(N, 256);
    bench_rows(2048, 128);

    bench_activations(N * 2048);
    bench_activations(2048 * 512);

    bench_softmax(N, 256);

    bench_attention(16, 256, 512, 8, 1);
    bench_attention(16, 256, 512, 8, 0);
    bench_attention(32, 128, 512, 8, 1);
    bench_attention(16, 256, 256, 4, 1);
    bench_attention(16, 128, 128, 4, 1);
    bench_attention(16, 256, 128, 8, 1);

    bench_cross_entropy(N, 256);
    bench_cross_entropy(N, 50257);
    return 0;
}
