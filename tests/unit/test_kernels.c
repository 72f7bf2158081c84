/* Tests for the CPU kernels in core/ops (kernels.h).
 *
 * For every forward/backward pair:
 *  - forward against an independent, naive double-precision reference in this file;
 *  - backward against central finite differences of that double reference, for the
 *    scalar loss sum(out * R) with a fixed random R (all elements of small tensors, a
 *    random subset of ~50 for large ones);
 *  - accumulation: backward into pre-filled buffers adds exactly what it writes into
 *    zeroed ones;
 *  - NULL gradients are skipped and leave the other gradients unchanged;
 *  - determinism: repeated runs with 2 threads are bit-identical, and so are 1 vs 2
 *    threads for every kernel but linear (sgemm rounds per row block).
 * Each check prints its max error and the max of err / (atol + rtol |ref|) (must be <= 1). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "fg_test.h"
#include "ops/kernels.h"
#include "ops/ops_util.h"

/* ---- helpers ------------------------------------------------------------------------ */

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rng_next(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* uniform in [lo, hi) */
static float rng_uniform(float lo, float hi) {
    return lo + (hi - lo) * (float)((rng_next() >> 40) * 0x1p-24);
}

static int64_t rng_int(int64_t n) {
    return (int64_t)(rng_next() % (uint64_t)n);
}

static float *fbuf(int64_t n) {
    float *p = calloc((size_t)(n > 0 ? n : 1), sizeof(float));
    if (!p) abort();
    return p;
}

static double *dbuf(int64_t n) {
    double *p = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
    if (!p) abort();
    return p;
}

static float *frand(int64_t n, float lo, float hi) {
    float *p = fbuf(n);
    for (int64_t i = 0; i < n; i++) p[i] = rng_uniform(lo, hi);
    return p;
}

static float *fcopy(const float *src, int64_t n) {
    float *p = fbuf(n);
    memcpy(p, src, (size_t)n * sizeof(float));
    return p;
}

static double *to_double(const float *src, int64_t n) {
    double *p = dbuf(n);
    for (int64_t i = 0; i < n; i++) p[i] = src[i];
    return p;
}

/* Compares got (float) to ref (double): |got - ref| <= atol + rtol |ref| everywhere.
 * Prints the max absolute error and the max error relative to the tolerance. */
static void check_close(const char *what, const float *got, const double *ref, int64_t n,
                        double atol, double rtol) {
    double max_err = 0.0, max_ratio = 0.0;
    int64_t worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - ref[i]);
        double ratio = err / (atol + rtol * fabs(ref[i]));
        if (!(ratio <= max_ratio)) { /* also catches NaN */
            max_ratio = ratio;
            worst = i;
        }
        if (err > max_err || err != err) max_err = err;
    }
    printf("  %-44s max_abs_err %.3e  err/tol %.3f\n", what, max_err, max_ratio);
    CHECK_MSG(max_ratio <= 1.0, "%s: element %lld got %.9g want %.9g", what, (long long)worst,
              n ? (double)got[worst] : 0.0, n ? ref[worst] : 0.0);
}

static void check_equal_bits(const char *what, const float *a, const float *b, int64_t n) {
    int same = memcmp(a, b, (size_t)n * sizeof(float)) == 0;
    printf("  %-44s %s\n", what, same ? "bit-identical" : "DIFFERENT");
    CHECK_MSG(same, "%s: results differ", what);
}

/* got_acc == pre + got_fresh, elementwise (to a couple of float ulps). */
static void check_accumulates(const char *what, const float *got_acc, const float *pre,
                              const float *got_fresh, int64_t n) {
    double *want = dbuf(n);
    for (int64_t i = 0; i < n; i++) want[i] = (double)pre[i] + (double)got_fresh[i];
    check_close(what, got_acc, want, n, 1e-5, 1e-5); /* "=" instead of "+=" would be O(1) off */
    free(want);
}

/* ---- finite differences on a double reference --------------------------------------- */

/* A problem is a function computing the scalar loss from double inputs held by ctx. */
typedef double (*loss_fn)(void *ctx);

#define FD_EPS 1e-4
#define FD_MAX_CHECKS 50

/* Compares an analytic gradient g[n] (float, from the kernel) with the central finite
 * difference of loss(ctx) with respect to x[n] (a double input array inside ctx). */
static void check_grad(const char *what, loss_fn loss, void *ctx, double *x, const float *g,
                       int64_t n, double atol, double rtol) {
    int64_t count = n <= FD_MAX_CHECKS + 10 ? n : FD_MAX_CHECKS;
    float *got = fbuf(count);
    double *num = dbuf(count);
    for (int64_t c = 0; c < count; c++) {
        int64_t i = count == n ? c : (c == 0 ? 0 : c == 1 ? n - 1 : rng_int(n));
        double save = x[i];
        x[i] = save + FD_EPS;
        double lp = loss(ctx);
        x[i] = save - FD_EPS;
        double lm = loss(ctx);
        x[i] = save;
        num[c] = (lp - lm) / (2.0 * FD_EPS);
        got[c] = g[i];
    }
    check_close(what, got, num, count, atol, rtol);
    free(got);
    free(num);
}

static double dot_r(const double *out, const double *R, int64_t n) {
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) s += out[i] * R[i];
    return s;
}

/* ---- double references -------------------------------------------------------------- */

static void ref_linear(double *out, const double *x, const double *w, const double *b,
                       int64_t N, int64_t IN, int64_t OUT) {
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < OUT; o++) {
            double s = b ? b[o] : 0.0;
            for (int64_t i = 0; i < IN; i++) s += x[n * IN + i] * w[o * IN + i];
            out[n * OUT + o] = s;
        }
}

static void ref_layernorm(double *out, double *mean, double *rstd, const double *x,
                          const double *w, const double *b, int64_t N, int64_t C, double eps) {
    for (int64_t n = 0; n < N; n++) {
        double m = 0.0, v = 0.0;
        for (int64_t i = 0; i < C; i++) m += x[n * C + i];
        m /= (double)C;
        for (int64_t i = 0; i < C; i++) v += (x[n * C + i] - m) * (x[n * C + i] - m);
        v /= (double)C;
        double s = 1.0 / sqrt(v + eps);
        for (int64_t i = 0; i < C; i++)
            out[n * C + i] = (x[n * C + i] - m) * s * w[i] + (b ? b[i] : 0.0);
        if (mean) mean[n] = m;
        if (rstd) rstd[n] = s;
    }
}

static void ref_rmsnorm(double *out, double *rstd, const double *x, const double *w, int64_t N,
                        int64_t C, double eps) {
    for (int64_t n = 0; n < N; n++) {
        double ms = 0.0;
        for (int64_t i = 0; i < C; i++) ms += x[n * C + i] * x[n * C + i];
        double s = 1.0 / sqrt(ms / (double)C + eps);
        for (int64_t i = 0; i < C; i++) out[n * C + i] = x[n * C + i] * s * w[i];
        if (rstd) rstd[n] = s;
    }
}

static double ref_gelu(double x) {
    return 0.5 * x * (1.0 + tanh(sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
}

static double ref_silu(double x) {
    return x / (1.0 + exp(-x));
}

static double ref_relu(double x) {
    return x > 0.0 ? x : 0.0;
}

static void ref_softmax(double *out, const double *x, int64_t N, int64_t C) {
    for (int64_t n = 0; n < N; n++) {
        double m = -INFINITY, s = 0.0;
        for (int64_t i = 0; i < C; i++) m = fmax(m, x[n * C + i]);
        for (int64_t i = 0; i < C; i++) s += exp(x[n * C + i] - m);
        for (int64_t i = 0; i < C; i++) out[n * C + i] = exp(x[n * C + i] - m) / s;
    }
}

/* Attention straight from the definition, on packed qkv [B, T, (H + 2 Hkv) D]: query
 * head h uses kv head h / (H / Hkv); score = scale q.k - slope_h |i - j|, masked above
 * the diagonal if causal; O = (P * mask) V with mask [B, H, T, T] the dropout
 * multipliers (NULL: none). probs [B, H, T, T] and lse [B, H, T] may be NULL. */
typedef struct {
    int64_t B, T, H, Hkv, D;
    int causal;
    double scale;
    const float *slopes; /* NULL: no ALiBi */
    const double *mask;
} att_cfg;

static void ref_attention(double *out, double *probs, double *lse, const double *qkv,
                          const att_cfg *c) {
    const int64_t T = c->T, D = c->D, W = (c->H + 2 * c->Hkv) * D;
    double *p = dbuf(T);
    for (int64_t b = 0; b < c->B; b++)
        for (int64_t h = 0; h < c->H; h++) {
            const int64_t g = h / (c->H / c->Hkv);
            const double slope = c->slopes ? c->slopes[h] : 0.0;
            for (int64_t t = 0; t < T; t++) {
                const double *q = qkv + (b * T + t) * W + h * D;
                double m = -INFINITY, s = 0.0;
                for (int64_t j = 0; j < T; j++) {
                    const double *k = qkv + (b * T + j) * W + (c->H + g) * D;
                    double d = 0.0;
                    for (int64_t i = 0; i < D; i++) d += q[i] * k[i];
                    p[j] = c->scale * d - slope * fabs((double)(t - j));
                    if (c->causal && j > t) p[j] = -INFINITY;
                    m = fmax(m, p[j]);
                }
                for (int64_t j = 0; j < T; j++) s += exp(p[j] - m);
                for (int64_t j = 0; j < T; j++) p[j] = exp(p[j] - m) / s;
                const int64_t row = (b * c->H + h) * T + t;
                if (lse) lse[row] = m + log(s);
                if (probs) memcpy(probs + row * T, p, (size_t)T * sizeof(double));
                double *o = out + (b * T + t) * c->H * D + h * D;
                for (int64_t i = 0; i < D; i++) {
                    double acc = 0.0;
                    for (int64_t j = 0; j < T; j++)
                        acc += p[j] * (c->mask ? c->mask[row * T + j] : 1.0) *
                               qkv[(b * T + j) * W + (c->H + c->Hkv + g) * D + i];
                    o[i] = acc;
                }
            }
        }
    free(p);
}

/* Mean cross-entropy over rows with target >= 0; lse may be NULL. */
static double ref_cross_entropy(double *lse, const double *logits, const int32_t *targets,
                                int64_t N, int64_t V, int64_t *n_valid) {
    double loss = 0.0;
    int64_t count = 0;
    for (int64_t n = 0; n < N; n++) {
        double m = -INFINITY, s = 0.0;
        for (int64_t v = 0; v < V; v++) m = fmax(m, logits[n * V + v]);
        for (int64_t v = 0; v < V; v++) s += exp(logits[n * V + v] - m);
        double l = m + log(s);
        if (lse) lse[n] = l;
        if (targets[n] >= 0) {
            loss += l - logits[n * V + targets[n]];
            count++;
        }
    }
    if (n_valid) *n_valid = count;
    return count ? loss / (double)count : 0.0;
}

/* ---- vectorised exp ----------------------------------------------------------------- */

static void test_expf(void) {
    printf("fgk__expf\n");
    double max_rel = 0.0;
    int64_t n = 0;
    for (float x = -87.0f; x < 88.0f; x += 0.0137f, n++) {
        double want = exp((double)x);
        double rel = fabs((double)fgk__expf(x) - want) / want;
        if (rel > max_rel) max_rel = rel;
    }
    printf("  %-44s max_rel_err %.3e over %lld points\n", "exp(x), x in [-87, 88]", max_rel,
           (long long)n);
    CHECK(max_rel < 3e-7); /* ~2.5 float ulps */
    CHECK(fgk__expf(0.0f) == 1.0f);
    CHECK(isinf(fgk__expf(100.0f)) && fgk__expf(100.0f) > 0.0f);
    CHECK(fgk__expf(-100.0f) == 0.0f);
    CHECK(fgk__expf(-INFINITY) == 0.0f);
    CHECK(isnan(fgk__expf(NAN)));
}

/* ---- column split used by the column-parallel reductions ---------------------------- */

static void test_thread_cols(void) {
    printf("fgk__thread_cols\n");
    static _Alignas(128) float buf[140 + 32];
    int ok = 1;
    for (int off = 0; off < 32; off++)
        for (int64_t n = 0; n < 140; n++)
            for (int nt = 1; nt <= 3; nt++) {
                int64_t lo[3] = {0}, hi[3] = {0};
                const float *base = buf + off;
#pragma omp parallel num_threads(nt)
                {
                    int t = omp_get_thread_num();
                    fgk__thread_cols(base, n, &lo[t], &hi[t]);
                }
                int64_t expect = 0;
                for (int t = 0; t < nt; t++) {
                    ok &= lo[t] == expect && hi[t] >= lo[t]; /* contiguous cover of [0, n) */
                    if (lo[t] > 0 && lo[t] < n) ok &= ((uintptr_t)(base + lo[t]) & 127) == 0;
                    expect = hi[t];
                }
                ok &= expect == n;
            }
    printf("  %-44s %s\n", "covers [0, n), cuts on 128-byte boundaries", ok ? "yes" : "NO");
    CHECK(ok);
}

/* ---- embedding ---------------------------------------------------------------------- */

typedef struct {
    const int32_t *ids;
    double *table;
    const double *R;
    int64_t N, C;
} emb_ctx;

static double emb_loss(void *p) {
    emb_ctx *c = p;
    double s = 0.0;
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t i = 0; i < c->C; i++) s += c->table[c->ids[n] * c->C + i] * c->R[n * c->C + i];
    return s;
}

static void test_embedding_case(int64_t N, int64_t C, int64_t rows) {
    char name[96];
    printf("embedding N=%lld C=%lld rows=%lld\n", (long long)N, (long long)C, (long long)rows);
    int32_t *ids = malloc((size_t)N * sizeof(int32_t));
    for (int64_t n = 0; n < N; n++) ids[n] = (int32_t)rng_int(rows); /* with repeats */
    float *table = frand(rows * C, -1, 1), *out = fbuf(N * C), *R = frand(N * C, -1, 1);
    fgk_embedding_fwd(out, ids, table, N, C);
    int exact = 1;
    for (int64_t n = 0; n < N; n++)
        exact &= memcmp(out + n * C, table + ids[n] * C, (size_t)C * sizeof(float)) == 0;
    printf("  %-44s %s\n", "forward == table rows", exact ? "exact" : "WRONG");
    CHECK(exact);

    float *dt = fbuf(rows * C);
    fgk_embedding_bwd(dt, R, ids, N, C);
    emb_ctx ctx = {ids, to_double(table, rows * C), to_double(R, N * C), N, C};
    snprintf(name, sizeof name, "dtable vs finite differences");
    check_grad(name, emb_loss, &ctx, ctx.table, dt, rows * C, 1e-5, 1e-5);

    float *pre = frand(rows * C, -1, 1), *acc = fcopy(pre, rows * C);
    fgk_embedding_bwd(acc, R, ids, N, C);
    check_accumulates("dtable accumulates", acc, pre, dt, rows * C);
    fgk_embedding_bwd(NULL, R, ids, N, C); /* NULL gradient: must not crash */

    free(ids), free(table), free(out), free(R), free(dt), free(pre), free(acc);
    free(ctx.table), free((double *)ctx.R);
}

/* ---- linear ------------------------------------------------------------------------- */

typedef struct {
    double *x, *w, *b, *out;
    const double *R;
    int64_t N, IN, OUT;
} lin_ctx;

static double lin_loss(void *p) {
    lin_ctx *c = p;
    ref_linear(c->out, c->x, c->w, c->b, c->N, c->IN, c->OUT);
    return dot_r(c->out, c->R, c->N * c->OUT);
}

static void test_linear_case(int64_t N, int64_t IN, int64_t OUT, int with_bias) {
    printf("linear N=%lld IN=%lld OUT=%lld bias=%d\n", (long long)N, (long long)IN,
           (long long)OUT, with_bias);
    float *x = frand(N * IN, -1, 1), *w = frand(OUT * IN, -1, 1);
    float *b = with_bias ? frand(OUT, -1, 1) : NULL;
    float *out = frand(N * OUT, -9, 9), *R = frand(N * OUT, -1, 1); /* out: garbage first */
    lin_ctx ctx = {to_double(x, N * IN), to_double(w, OUT * IN), b ? to_double(b, OUT) : NULL,
                   dbuf(N * OUT), to_double(R, N * OUT), N, IN, OUT};
    fgk_linear_fwd(out, x, w, b, N, IN, OUT);
    ref_linear(ctx.out, ctx.x, ctx.w, ctx.b, N, IN, OUT);
    check_close("forward vs double reference", out, ctx.out, N * OUT, 1e-5, 1e-5);

    float *dx = fbuf(N * IN), *dw = fbuf(OUT * IN), *db = fbuf(OUT);
    fgk_linear_bwd_input(dx, R, w, N, IN, OUT);
    fgk_linear_bwd_weight(dw, db, R, x, N, IN, OUT);
    check_grad("dx vs finite differences", lin_loss, &ctx, ctx.x, dx, N * IN, 1e-5, 1e-5);
    check_grad("dw vs finite differences", lin_loss, &ctx, ctx.w, dw, OUT * IN, 1e-5, 1e-5);
    if (b) check_grad("db vs finite differences", lin_loss, &ctx, ctx.b, db, OUT, 1e-5, 1e-5);

    float *pdx = frand(N * IN, -1, 1), *pdw = frand(OUT * IN, -1, 1), *pdb = frand(OUT, -1, 1);
    float *adx = fcopy(pdx, N * IN), *adw = fcopy(pdw, OUT * IN), *adb = fcopy(pdb, OUT);
    fgk_linear_bwd_input(adx, R, w, N, IN, OUT);
    fgk_linear_bwd_weight(adw, adb, R, x, N, IN, OUT);
    check_accumulates("dx accumulates", adx, pdx, dx, N * IN);
    check_accumulates("dw accumulates", adw, pdw, dw, OUT * IN);
    check_accumulates("db accumulates", adb, pdb, db, OUT);

    /* NULL gradients: the remaining one is unchanged */
    float *ndw = fbuf(OUT * IN), *ndb = fbuf(OUT);
    fgk_linear_bwd_weight(ndw, NULL, R, x, N, IN, OUT);
    fgk_linear_bwd_weight(NULL, ndb, R, x, N, IN, OUT);
    fgk_linear_bwd_input(NULL, R, w, N, IN, OUT);
    check_equal_bits("dw alone (db NULL) == dw with db", ndw, dw, OUT * IN);
    check_equal_bits("db alone (dw NULL) == db with dw", ndb, db, OUT);

    free(x), free(w), free(b), free(out), free(R), free(dx), free(dw), free(db);
    free(pdx), free(pdw), free(pdb), free(adx), free(adw), free(adb), free(ndw), free(ndb);
    free(ctx.x), free(ctx.w), free(ctx.b), free(ctx.out), free((double *)ctx.R);
}

/* ---- layernorm / rmsnorm ------------------------------------------------------------ */

typedef struct {
    double *x, *w, *b, *out;
    const double *R;
    int64_t N, C;
    double eps;
    int rms;
} norm_ctx;

static double norm_loss(void *p) {
    norm_ctx *c = p;
    if (c->rms)
        ref_rmsnorm(c->out, NULL, c->x, c->w, c->N, c->C, c->eps);
    else
        ref_layernorm(c->out, NULL, NULL, c->x, c->w, c->b, c->N, c->C, c->eps);
    return dot_r(c->out, c->R, c->N * c->C);
}

static void test_layernorm_case(int64_t N, int64_t C, int with_bias) {
    printf("layernorm N=%lld C=%lld bias=%d\n", (long long)N, (long long)C, with_bias);
    const float eps = 1e-5f;
    float *x = frand(N * C, -2, 2), *w = frand(C, 0.5f, 1.5f);
    float *b = with_bias ? frand(C, -1, 1) : NULL;
    for (int64_t i = 0; i < N * C; i++) x[i] += (float)(i / C % 5); /* nonzero row means */
    float *out = fbuf(N * C), *mean = fbuf(N), *rstd = fbuf(N), *R = frand(N * C, -1, 1);
    norm_ctx ctx = {to_double(x, N * C), to_double(w, C), b ? to_double(b, C) : NULL,
                    dbuf(N * C), to_double(R, N * C), N, C, eps, 0};
    double *rmean = dbuf(N), *rrstd = dbuf(N);
    fgk_layernorm_fwd(out, mean, rstd, x, w, b, N, C, eps);
    ref_layernorm(ctx.out, rmean, rrstd, ctx.x, ctx.w, ctx.b, N, C, eps);
    check_close("forward vs double reference", out, ctx.out, N * C, 1e-5, 1e-5);
    check_close("saved mean", mean, rmean, N, 1e-6, 1e-6);
    check_close("saved rstd", rstd, rrstd, N, 1e-6, 1e-5);

    float *dx = fbuf(N * C), *dw = fbuf(C), *db = fbuf(C);
    fgk_layernorm_bwd(dx, dw, db, R, x, w, mean, rstd, N, C);
    check_grad("dx vs finite differences", norm_loss, &ctx, ctx.x, dx, N * C, 1e-5, 1e-5);
    check_grad("dw vs finite differences", norm_loss, &ctx, ctx.w, dw, C, 1e-5, 1e-5);
    if (b) check_grad("db vs finite differences", norm_loss, &ctx, ctx.b, db, C, 1e-5, 1e-5);

    float *pdx = frand(N * C, -1, 1), *pdw = frand(C, -1, 1), *pdb = frand(C, -1, 1);
    float *adx = fcopy(pdx, N * C), *adw = fcopy(pdw, C), *adb = fcopy(pdb, C);
    fgk_layernorm_bwd(adx, adw, adb, R, x, w, mean, rstd, N, C);
    check_accumulates("dx accumulates", adx, pdx, dx, N * C);
    check_accumulates("dw accumulates", adw, pdw, dw, C);
    check_accumulates("db accumulates", adb, pdb, db, C);

    float *ndx = fbuf(N * C), *ndw = fbuf(C), *ndb = fbuf(C);
    fgk_layernorm_bwd(ndx, NULL, NULL, R, x, w, mean, rstd, N, C);
    fgk_layernorm_bwd(NULL, ndw, NULL, R, x, w, mean, rstd, N, C);
    fgk_layernorm_bwd(NULL, NULL, ndb, R, x, w, mean, rstd, N, C);
    fgk_layernorm_bwd(NULL, NULL, NULL, R, x, w, mean, rstd, N, C);
    check_equal_bits("dx alone == dx with dw, db", ndx, dx, N * C);
    check_equal_bits("dw alone == dw with dx, db", ndw, dw, C);
    check_equal_bits("db alone == db with dx, dw", ndb, db, C);

    free(x), free(w), free(b), free(out), free(mean), free(rstd), free(R), free(rmean);
    free(rrstd), free(dx), free(dw), free(db), free(pdx), free(pdw), free(pdb), free(adx);
    free(adw), free(adb), free(ndx), free(ndw), free(ndb);
    free(ctx.x), free(ctx.w), free(ctx.b), free(ctx.out), free((double *)ctx.R);
}

static void test_rmsnorm_case(int64_t N, int64_t C) {
    printf("rmsnorm N=%lld C=%lld\n", (long long)N, (long long)C);
    const float eps = 1e-6f;
    float *x = frand(N * C, -2, 2), *w = frand(C, 0.5f, 1.5f);
    float *out = fbuf(N * C), *rstd = fbuf(N), *R = frand(N * C, -1, 1);
    norm_ctx ctx = {to_double(x, N * C), to_double(w, C), NULL, dbuf(N * C),
                    to_double(R, N * C), N, C, eps, 1};
    double *rrstd = dbuf(N);
    fgk_rmsnorm_fwd(out, rstd, x, w, N, C, eps);
    ref_rmsnorm(ctx.out, rrstd, ctx.x, ctx.w, N, C, eps);
    check_close("forward vs double reference", out, ctx.out, N * C, 1e-5, 1e-5);
    check_close("saved rstd", rstd, rrstd, N, 1e-6, 1e-5);

    float *dx = fbuf(N * C), *dw = fbuf(C);
    fgk_rmsnorm_bwd(dx, dw, R, x, w, rstd, N, C);
    check_grad("dx vs finite differences", norm_loss, &ctx, ctx.x, dx, N * C, 1e-5, 1e-5);
    check_grad("dw vs finite differences", norm_loss, &ctx, ctx.w, dw, C, 1e-5, 1e-5);

    float *pdx = frand(N * C, -1, 1), *pdw = frand(C, -1, 1);
    float *adx = fcopy(pdx, N * C), *adw = fcopy(pdw, C);
    fgk_rmsnorm_bwd(adx, adw, R, x, w, rstd, N, C);
    check_accumulates("dx accumulates", adx, pdx, dx, N * C);
    check_accumulates("dw accumulates", adw, pdw, dw, C);

    float *ndx = fbuf(N * C), *ndw = fbuf(C);
    fgk_rmsnorm_bwd(ndx, NULL, R, x, w, rstd, N, C);
    fgk_rmsnorm_bwd(NULL, ndw, R, x, w, rstd, N, C);
    fgk_rmsnorm_bwd(NULL, NULL, R, x, w, rstd, N, C);
    check_equal_bits("dx alone == dx with dw", ndx, dx, N * C);
    check_equal_bits("dw alone == dw with dx", ndw, dw, C);

    free(x), free(w), free(out), free(rstd), free(R), free(rrstd), free(dx), free(dw);
    free(pdx), free(pdw), free(adx), free(adw), free(ndx), free(ndw);
    free(ctx.x), free(ctx.w), free(ctx.out), free((double *)ctx.R);
}

/* ---- activations -------------------------------------------------------------------- */

typedef void (*act_fwd_fn)(float *, const float *, int64_t);
typedef void (*act_bwd_fn)(float *, const float *, const float *, int64_t);

typedef struct {
    double (*f)(double);
    double *x;
    const double *R;
    int64_t n;
} act_ctx;

static double act_loss(void *p) {
    act_ctx *c = p;
    double s = 0.0;
    for (int64_t i = 0; i < c->n; i++) s += c->f(c->x[i]) * c->R[i];
    return s;
}

static void test_activation(const char *name, act_fwd_fn fwd, act_bwd_fn bwd, double (*ref)(double),
                            int64_t n, float lo, float hi) {
    printf("%s n=%lld x in [%g, %g]\n", name, (long long)n, lo, hi);
    float *x = frand(n, lo, hi), *out = fbuf(n), *R = frand(n, -1, 1);
    for (int64_t i = 0; i < n; i++) /* keep away from the kink of relu for the FD check */
        if (fabsf(x[i]) < 1e-2f) x[i] = 0.5f;
    act_ctx ctx = {ref, to_double(x, n), to_double(R, n), n};
    double *want = dbuf(n);
    for (int64_t i = 0; i < n; i++) want[i] = ref(ctx.x[i]);
    fwd(out, x, n);
    check_close("forward vs double reference", out, want, n, 1e-6, 2e-6);

    float *dx = fbuf(n);
    bwd(dx, x, R, n);
    check_grad("dx vs finite differences", act_loss, &ctx, ctx.x, dx, n, 1e-6, 1e-5);

    float *pre = frand(n, -1, 1), *acc = fcopy(pre, n);
    bwd(acc, x, R, n);
    check_accumulates("dx accumulates", acc, pre, dx, n);
    bwd(NULL, x, R, n);

    float *inplace = fcopy(x, n); /* out may alias x */
    fwd(inplace, inplace, n);
    check_equal_bits("in-place forward", inplace, out, n);

    free(x), free(out), free(R), free(want), free(dx), free(pre), free(acc), free(inplace);
    free(ctx.x), free((double *)ctx.R);
}

static void test_gelu_extremes(void) {
    printf("gelu/silu extreme inputs\n");
    float x[8] = {-1e4f, -200.0f, -30.0f, -10.0f, 10.0f, 30.0f, 200.0f, 1e4f};
    float y[8], s[8];
    fgk_gelu_fwd(y, x, 8);
    fgk_silu_fwd(s, x, 8);
    double max_err = 0.0;
    for (int i = 0; i < 8; i++) {
        max_err = fmax(max_err, fabs(y[i] - ref_gelu(x[i])));
        max_err = fmax(max_err, fabs(s[i] - ref_silu(x[i])));
        CHECK(isfinite(y[i]) && isfinite(s[i]));
    }
    printf("  %-44s max_abs_err %.3e\n", "|x| up to 1e4", max_err);
    CHECK(max_err < 1e-4);
}

/* ---- softmax ------------------------------------------------------------------------ */

typedef struct {
    double *x, *out;
    const double *R;
    int64_t N, C;
} sm_ctx;

static double sm_loss(void *p) {
    sm_ctx *c = p;
    ref_softmax(c->out, c->x, c->N, c->C);
    return dot_r(c->out, c->R, c->N * c->C);
}

static void test_softmax_case(int64_t N, int64_t C, float range) {
    printf("softmax N=%lld C=%lld x in [-%g, %g]\n", (long long)N, (long long)C, range, range);
    float *x = frand(N * C, -range, range), *y = fbuf(N * C), *R = frand(N * C, -1, 1);
    sm_ctx ctx = {to_double(x, N * C), dbuf(N * C), to_double(R, N * C), N, C};
    fgk_softmax_fwd(y, x, N, C);
    ref_softmax(ctx.out, ctx.x, N, C);
    check_close("forward vs double reference", y, ctx.out, N * C, 1e-7, 1e-5);

    float *dx = fbuf(N * C);
    fgk_softmax_bwd(dx, y, R, N, C);
    check_grad("dx vs finite differences", sm_loss, &ctx, ctx.x, dx, N * C, 1e-7, 1e-5);

    float *pre = frand(N * C, -1, 1), *acc = fcopy(pre, N * C);
    fgk_softmax_bwd(acc, y, R, N, C);
    check_accumulates("dx accumulates", acc, pre, dx, N * C);
    fgk_softmax_bwd(NULL, y, R, N, C);

    free(x), free(y), free(R), free(dx), free(pre), free(acc);
    free(ctx.x), free(ctx.out), free((double *)ctx.R);
}

/* ---- attention ---------------------------------------------------------------------- */

enum { PLAIN, LEAN };
static const char *const impl_name[] = {"plain", "lean"};

/* The kernel's description of packed qkv (k, v and their gradients follow q's heads). */
static fgk_attn packed(const float *qkv, const att_cfg *c) {
    const int64_t W = (c->H + 2 * c->Hkv) * c->D;
    return (fgk_attn){.B = c->B, .T = c->T, .S = c->T, .H = c->H, .Hkv = c->Hkv, .D = c->D,
                      .q = qkv, .k = qkv + c->H * c->D, .v = qkv + (c->H + c->Hkv) * c->D,
                      .q_bs = c->T * W, .q_ts = W, .kv_bs = c->T * W, .kv_ts = W,
                      .scale = (float)c->scale, .causal = c->causal, .slopes = c->slopes};
}

/* Forward (probs or lse per impl), then backward accumulating into dqkv. */
static void run_attention(const fgk_attn *a, int impl, float *out, float *probs, float *lse,
                          float *dqkv, const float *dout) {
    fgk_attention_fwd(a, out, impl == PLAIN ? probs : NULL, lse);
    if (dqkv == NULL) return;
    const int64_t HD = a->H * a->D, KD = a->Hkv * a->D;
    fgk_attention_bwd(a, dqkv, dqkv + HD, dqkv + HD + KD, dout, out, impl == PLAIN ? probs : NULL,
                      impl == LEAN ? lse : NULL);
}

typedef struct {
    double *qkv, *out;
    const double *R;
    att_cfg cfg;
} att_ctx;

static double att_loss(void *p) {
    att_ctx *c = p;
    ref_attention(c->out, NULL, NULL, c->qkv, &c->cfg);
    return dot_r(c->out, c->R, c->cfg.B * c->cfg.T * c->cfg.H * c->cfg.D);
}

/* Both paths against the double reference (forward, probabilities or log-sum-exp,
 * gradients by finite differences), accumulation, and plain against lean. */
static void test_attention_case(int64_t B, int64_t T, int64_t H, int64_t Hkv, int64_t D,
                                int causal, int alibi, double scale) {
    printf("attention B=%lld T=%lld H=%lld Hkv=%lld D=%lld causal=%d alibi=%d scale=%s\n",
           (long long)B, (long long)T, (long long)H, (long long)Hkv, (long long)D, causal, alibi,
           scale ? "0.3" : "1/sqrt(D)");
    const int64_t W = (H + 2 * Hkv) * D, nqkv = B * T * W, nout = B * T * H * D;
    const int64_t np = B * H * T * T, nl = B * H * T;
    float *slopes = fbuf(H);
    fgk_alibi_slopes(slopes, H);
    att_cfg cfg = {B, T, H, Hkv, D, causal, scale ? scale : 1.0 / sqrt((double)D),
                   alibi ? slopes : NULL, NULL};
    float *qkv = frand(nqkv, -1.5f, 1.5f), *R = frand(nout, -1, 1);
    att_ctx ctx = {to_double(qkv, nqkv), dbuf(nout), to_double(R, nout), cfg};
    double *rout = dbuf(nout), *rprobs = dbuf(np), *rlse = dbuf(nl);
    ref_attention(rout, rprobs, rlse, ctx.qkv, &cfg); /* ctx.out: the gradient checks' */
    const fgk_attn a = packed(qkv, &cfg);
    float *out[2], *dqkv[2];
    for (int impl = PLAIN; impl <= LEAN; impl++) {
        char what[64];
        /* garbage first: the kernel must write every entry */
        float *o = frand(nout, -9, 9), *probs = frand(np, -9, 9), *lse = frand(nl, -9, 9);
        float *d = fbuf(nqkv);
        run_attention(&a, impl, o, probs, lse, d, R);
        snprintf(what, sizeof what, "%s forward vs double reference", impl_name[impl]);
        check_close(what, o, rout, nout, 1e-6, 1e-5);
        snprintf(what, sizeof what, "%s lse vs double reference", impl_name[impl]);
        check_close(what, lse, rlse, nl, 1e-6, 1e-6);
        if (impl == PLAIN) {
            check_close("plain probs vs double reference", probs, rprobs, np, 1e-7, 1e-5);
            int zero = 1;
            for (int64_t bh = 0; causal && bh < B * H; bh++)
                for (int64_t t = 0; t < T; t++)
                    for (int64_t j = t + 1; j < T; j++) zero &= probs[(bh * T + t) * T + j] == 0.0f;
            CHECK_MSG(zero, "causal: probabilities above the diagonal must be 0");
        }
        snprintf(what, sizeof what, "%s dqkv vs finite differences", impl_name[impl]);
        check_grad(what, att_loss, &ctx, ctx.qkv, d, nqkv, 1e-6, 1e-5);

        float *pre = frand(nqkv, -1, 1), *acc = fcopy(pre, nqkv);
        run_attention(&a, impl, o, probs, lse, acc, R);
        snprintf(what, sizeof what, "%s dqkv accumulates", impl_name[impl]);
        check_accumulates(what, acc, pre, d, nqkv);
        fgk_attention_bwd(&a, NULL, NULL, NULL, R, o, probs, lse); /* nothing to do */
        out[impl] = o, dqkv[impl] = d;
        free(probs), free(lse), free(pre), free(acc);
    }
    double *po = to_double(out[PLAIN], nout), *pd = to_double(dqkv[PLAIN], nqkv);
    check_close("lean vs plain forward", out[LEAN], po, nout, 1e-6, 1e-5);
    check_close("lean vs plain dqkv", dqkv[LEAN], pd, nqkv, 1e-6, 1e-5);

    free(po), free(pd), free(out[0]), free(out[1]), free(dqkv[0]), free(dqkv[1]);
    free(slopes), free(qkv), free(R), free(rout), free(rprobs), free(rlse);
    free(ctx.qkv), free(ctx.out), free((double *)ctx.R);
}

static void test_alibi_slopes(void) {
    printf("fgk_alibi_slopes\n");
    float s8[8], s6[6], s3[3];
    fgk_alibi_slopes(s8, 8);
    fgk_alibi_slopes(s6, 6);
    fgk_alibi_slopes(s3, 3);
    int ok = 1;
    for (int k = 1; k <= 8; k++) ok &= s8[k - 1] == ldexpf(1.0f, -k); /* 1/2 .. 1/256 */
    /* get_slopes(6): those of 4 (2^-2, 2^-4, 2^-6, 2^-8), then of 8 at k = 1, 3 */
    const float want6[6] = {0.25f, 0.0625f, 0.015625f, 0.00390625f, 0.5f, 0.125f};
    const float want3[3] = {0.0625f, 0.00390625f, 0.25f}; /* 2: 2^-4, 2^-8; 4 at k = 1 */
    for (int i = 0; i < 6; i++) ok &= s6[i] == want6[i];
    for (int i = 0; i < 3; i++) ok &= s3[i] == want3[i];
    printf("  %-44s %s\n", "n = 8, 6, 3 against get_slopes", ok ? "exact" : "WRONG");
    CHECK(ok);
}

/* Dropout on the probabilities. With V = I (T = D), row t of the output is row t of the
 * dropped probabilities, so the mask can be read back: every entry must be kept at
 * 1/(1-p) or dropped, about p of them dropped, the same mask in both paths; then the
 * gradients of both paths against finite differences of the reference with that mask. */
static void test_attention_dropout(void) {
    const int64_t B = 2, T = 64, H = 2, Hkv = 1, D = 64, W = (H + 2 * Hkv) * D;
    const int64_t nqkv = B * T * W, nout = B * T * H * D, np = B * H * T * T;
    const float p = 0.25f, keep = 1.0f / (1.0f - p);
    printf("attention dropout p=%.2f B=%lld T=%lld H=%lld Hkv=%lld D=%lld causal\n", p,
           (long long)B, (long long)T, (long long)H, (long long)Hkv, (long long)D);
    att_cfg cfg = {B, T, H, Hkv, D, 1, 1.0 / sqrt((double)D), NULL, NULL};
    float *qkv = frand(nqkv, -1.5f, 1.5f), *R = frand(nout, -1, 1);
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++)
            for (int64_t i = 0; i < D; i++) qkv[(b * T + t) * W + (H + Hkv) * D + i] = t == i;
    double *rprobs = dbuf(np), *rout = dbuf(nout), *mask = dbuf(np);
    double *dq = to_double(qkv, nqkv);
    ref_attention(rout, rprobs, NULL, dq, &cfg);
    fgk_attn a = packed(qkv, &cfg);
    a.dropout = p, a.seed = 1234;
    float *out[2] = {fbuf(nout), fbuf(nout)}, *probs = fbuf(np), *lse = fbuf(B * H * T);
    run_attention(&a, PLAIN, out[PLAIN], probs, lse, NULL, NULL);
    run_attention(&a, LEAN, out[LEAN], probs, lse, NULL, NULL);
    int64_t kept = 0, dropped = 0, bad = 0;
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t t = 0; t < T; t++)
                for (int64_t j = 0; j <= t; j++) {
                    const int64_t at = ((b * H + h) * T + t) * T + j;
                    double ratio = out[PLAIN][(b * T + t) * H * D + h * D + j] / rprobs[at];
                    mask[at] = ratio < 0.5 ? 0.0 : keep;
                    bad += ratio != 0.0 && fabs(ratio - keep) > 1e-4;
                    dropped += ratio == 0.0, kept += ratio != 0.0;
                }
    double frac = (double)dropped / (double)(kept + dropped);
    printf("  %-44s %.4f of %lld (p = %.2f), %lld neither 0 nor 1/(1-p)\n", "dropped fraction",
           frac, (long long)(kept + dropped), p, (long long)bad);
    CHECK(bad == 0);
    CHECK(fabs(frac - p) < 0.03); /* ~6 standard deviations */
    check_equal_bits("lean output == plain output (same mask)", out[LEAN], out[PLAIN], nout);

    /* gradients: random values, the same mask (it depends on the seed and indices only) */
    for (int64_t i = 0; i < nqkv; i++) qkv[i] = rng_uniform(-1.5f, 1.5f);
    cfg.mask = mask;
    att_ctx ctx = {to_double(qkv, nqkv), dbuf(nout), to_double(R, nout), cfg};
    for (int impl = PLAIN; impl <= LEAN; impl++) {
        char what[64];
        float *d = fbuf(nqkv);
        run_attention(&a, impl, out[impl], probs, lse, d, R);
        snprintf(what, sizeof what, "%s forward vs reference with the mask", impl_name[impl]);
        att_loss(&ctx);
        check_close(what, out[impl], ctx.out, nout, 1e-6, 1e-5);
        snprintf(what, sizeof what, "%s dqkv vs finite differences", impl_name[impl]);
        check_grad(what, att_loss, &ctx, ctx.qkv, d, nqkv, 1e-6, 1e-5);
        free(d);
    }
    a.seed = 1235; /* another seed, another mask */
    float *other = fbuf(nout);
    run_attention(&a, PLAIN, other, probs, lse, NULL, NULL);
    CHECK_MSG(memcmp(other, out[PLAIN], (size_t)nout * sizeof(float)) != 0,
              "seeds 1234 and 1235 should give different masks");
    free(other), free(qkv), free(R), free(rprobs), free(rout), free(mask), free(dq);
    free(out[0]), free(out[1]), free(probs), free(lse);
    free(ctx.qkv), free(ctx.out), free((double *)ctx.R);
}

/* ---- cross-entropy ------------------------------------------------------------------ */

typedef struct {
    double *logits;
    const int32_t *targets;
    int64_t N, V;
    double dloss;
} ce_ctx;

static double ce_loss(void *p) {
    ce_ctx *c = p;
    return c->dloss * ref_cross_entropy(NULL, c->logits, c->targets, c->N, c->V, NULL);
}

static void test_cross_entropy_case(int64_t N, int64_t V, int ignore_every, float range) {
    printf("cross_entropy N=%lld V=%lld ignore_every=%d logits in [-%g, %g]\n", (long long)N,
           (long long)V, ignore_every, range, range);
    float *logits = frand(N * V, -range, range), *lse = fbuf(N);
    int32_t *targets = malloc((size_t)N * sizeof(int32_t));
    for (int64_t n = 0; n < N; n++)
        targets[n] = (ignore_every && n % ignore_every == 1) ? -1 - (int32_t)(n % 3)
                                                              : (int32_t)rng_int(V);
    ce_ctx ctx = {to_double(logits, N * V), targets, N, V, 0.75};
    double *rlse = dbuf(N);
    int64_t nv = -1, rnv = -1;
    float loss = fgk_cross_entropy_fwd(lse, logits, targets, N, V, &nv);
    double rloss = ref_cross_entropy(rlse, ctx.logits, targets, N, V, &rnv);
    check_close("loss vs double reference", &loss, &rloss, 1, 1e-6, 1e-6);
    check_close("lse vs double reference", lse, rlse, N, 1e-6, 1e-6);
    CHECK_MSG(nv == rnv, "n_valid %lld want %lld", (long long)nv, (long long)rnv);

    float *dl = fbuf(N * V);
    fgk_cross_entropy_bwd(dl, logits, targets, lse, (float)ctx.dloss, nv, N, V);
    check_grad("dlogits vs finite differences", ce_loss, &ctx, ctx.logits, dl, N * V, 1e-8,
               1e-5);
    int ignored_zero = 1;
    for (int64_t n = 0; n < N; n++)
        if (targets[n] < 0)
            for (int64_t v = 0; v < V; v++) ignored_zero &= dl[n * V + v] == 0.0f;
    CHECK_MSG(ignored_zero, "ignored rows must get no gradient");

    float *pre = frand(N * V, -1, 1), *acc = fcopy(pre, N * V);
    fgk_cross_entropy_bwd(acc, logits, targets, lse, (float)ctx.dloss, nv, N, V);
    check_accumulates("dlogits accumulates", acc, pre, dl, N * V);
    fgk_cross_entropy_bwd(NULL, logits, targets, lse, (float)ctx.dloss, nv, N, V);

    free(logits), free(lse), free(targets), free(rlse), free(dl), free(pre), free(acc);
    free(ctx.logits);
}

static void test_cross_entropy_all_ignored(void) {
    printf("cross_entropy all targets ignored\n");
    float logits[6] = {1, 2, 3, 4, 5, 6}, lse[2], dl[6] = {0};
    int32_t targets[2] = {-1, -100};
    int64_t nv = -1;
    float loss = fgk_cross_entropy_fwd(lse, logits, targets, 2, 3, &nv);
    CHECK(nv == 0 && loss == 0.0f);
    fgk_cross_entropy_bwd(dl, logits, targets, lse, 1.0f, nv, 2, 3);
    int zero = 1;
    for (int i = 0; i < 6; i++) zero &= dl[i] == 0.0f;
    CHECK(zero);
}

/* ---- elementwise -------------------------------------------------------------------- */

static void test_elementwise(int64_t n) {
    printf("elementwise n=%lld\n", (long long)n);
    float *a = frand(n, -2, 2), *b = frand(n, -2, 2), *o = fbuf(n), *d = frand(n, -2, 2);
    double *want = dbuf(n);
    const float s = 0.37f;

    fgk_add(o, a, b, n);
    for (int64_t i = 0; i < n; i++) want[i] = (double)a[i] + b[i];
    check_close("add", o, want, n, 0, 1e-7);
    fgk_mul(o, a, b, n);
    for (int64_t i = 0; i < n; i++) want[i] = (double)a[i] * b[i];
    check_close("mul", o, want, n, 0, 1e-7);
    fgk_scale(o, a, s, n);
    for (int64_t i = 0; i < n; i++) want[i] = (double)a[i] * s;
    check_close("scale", o, want, n, 0, 1e-7);

    memcpy(o, d, (size_t)n * sizeof(float));
    fgk_acc(o, a, n);
    for (int64_t i = 0; i < n; i++) want[i] = (double)d[i] + a[i];
    check_close("acc", o, want, n, 1e-7, 1e-7);
    memcpy(o, d, (size_t)n * sizeof(float));
    fgk_acc_mul(o, a, b, n);
    for (int64_t i = 0; i < n; i++) want[i] = (double)d[i] + (double)a[i] * b[i];
    check_close("acc_mul", o, want, n, 1e-6, 1e-6);
    memcpy(o, d, (size_t)n * sizeof(float));
    fgk_acc_scale(o, a, s, n);
    for (int64_t i = 0; i < n; i++) want[i] = (double)d[i] + (double)s * a[i];
    check_close("acc_scale", o, want, n, 1e-6, 1e-6);

    memcpy(o, a, (size_t)n * sizeof(float)); /* in place: out aliases a */
    fgk_add(o, o, b, n);
    for (int64_t i = 0; i < n; i++) want[i] = (double)a[i] + b[i];
    check_close("add in place", o, want, n, 0, 1e-7);

    free(a), free(b), free(o), free(d), free(want);
}

/* ---- dropout ------------------------------------------------------------------------ */

static void test_dropout(void) {
    printf("dropout\n");
    const int64_t n = 100003;
    const float p = 0.3f;
    float *x = frand(n, -1, 1), *out = fbuf(n), *mask = fbuf(n), *out2 = fbuf(n), *mask2 = fbuf(n);
    fgk_dropout_fwd(out, mask, x, p, 1234, n);
    const float scale = (float)(1.0 / (1.0 - (double)p));
    int64_t dropped = 0;
    int ok = 1;
    for (int64_t i = 0; i < n; i++) {
        ok &= mask[i] == 0.0f || mask[i] == scale;
        ok &= out[i] == x[i] * mask[i];
        dropped += mask[i] == 0.0f;
    }
    double frac = (double)dropped / (double)n;
    printf("  %-44s %.4f (p = %.2f)\n", "dropped fraction", frac, p);
    CHECK_MSG(ok, "mask values must be 0 or 1/(1-p), out = x * mask");
    CHECK(fabs(frac - p) < 0.01); /* ~7 standard deviations */

    omp_set_num_threads(1);
    fgk_dropout_fwd(out2, mask2, x, p, 1234, n);
    omp_set_num_threads(2);
    check_equal_bits("same seed, 1 vs 2 threads", mask2, mask, n);
    fgk_dropout_fwd(out2, mask2, x, p, 1235, n);
    int64_t differ = 0;
    for (int64_t i = 0; i < n; i++) differ += mask2[i] != mask[i];
    CHECK_MSG(differ > n / 4, "seeds 1234 and 1235 should give different masks");
    fgk_dropout_fwd(out2, NULL, x, p, 1234, n); /* mask is optional */
    check_equal_bits("out without a mask buffer", out2, out, n);

    fgk_dropout_fwd(out2, mask2, x, 0.0f, 7, n);
    check_equal_bits("p = 0 is the identity", out2, x, n);
    fgk_dropout_fwd(out2, mask2, x, 1.0f, 7, n);
    int all_zero = 1;
    for (int64_t i = 0; i < n; i++) all_zero &= out2[i] == 0.0f && mask2[i] == 0.0f;
    CHECK_MSG(all_zero, "p = 1 drops everything");
    free(x), free(out), free(mask), free(out2), free(mask2);
}

/* ---- determinism -------------------------------------------------------------------- */

/* Runs each backward with 2 threads twice, and with 1 thread, and compares bits. */
static void test_determinism(void) {
    printf("determinism (2 threads twice, and 1 thread)\n");
    {
        /* grouped-query heads, ALiBi, dropout; T > one key block, so the lean forward
         * takes several online-softmax steps and the backward several blocks */
        const int64_t B = 2, T = 300, H = 4, Hkv = 2, D = 24, W = (H + 2 * Hkv) * D;
        const int64_t nqkv = B * T * W, nout = B * T * H * D;
        float slopes[4];
        fgk_alibi_slopes(slopes, H);
        att_cfg cfg = {B, T, H, Hkv, D, 1, 1.0 / sqrt((double)D), slopes, NULL};
        float *qkv = frand(nqkv, -1, 1), *dout = frand(nout, -1, 1);
        float *probs = fbuf(B * H * T * T), *lse = fbuf(B * H * T);
        fgk_attn a = packed(qkv, &cfg);
        a.dropout = 0.1f, a.seed = 99;
        float *o[2][3], *g[2][3];
        for (int impl = PLAIN; impl <= LEAN; impl++) {
            char what[64];
            for (int r = 0; r < 3; r++) {
                omp_set_num_threads(r == 2 ? 1 : 2);
                o[impl][r] = fbuf(nout), g[impl][r] = fbuf(nqkv);
                run_attention(&a, impl, o[impl][r], probs, lse, g[impl][r], dout);
            }
            omp_set_num_threads(2);
            snprintf(what, sizeof what, "attention %s fwd, 1 vs 2 threads", impl_name[impl]);
            check_equal_bits(what, o[impl][0], o[impl][2], nout);
            snprintf(what, sizeof what, "attention %s bwd, 2 threads run twice", impl_name[impl]);
            check_equal_bits(what, g[impl][0], g[impl][1], nqkv);
            snprintf(what, sizeof what, "attention %s bwd, 1 vs 2 threads", impl_name[impl]);
            check_equal_bits(what, g[impl][0], g[impl][2], nqkv);
        }
        double *po = to_double(o[PLAIN][0], nout), *pg = to_double(g[PLAIN][0], nqkv);
        check_close("attention dropout: lean vs plain forward", o[LEAN][0], po, nout, 1e-6, 1e-5);
        check_close("attention dropout: lean vs plain dqkv", g[LEAN][0], pg, nqkv, 1e-6, 1e-5);
        for (int impl = 0; impl < 2; impl++)
            for (int r = 0; r < 3; r++) free(o[impl][r]), free(g[impl][r]);
        free(po), free(pg), free(qkv), free(dout), free(probs), free(lse);
    }
    {
        const int64_t N = 1000, C = 96;
        float *x = frand(N * C, -1, 1), *w = frand(C, 0, 2), *b = frand(C, -1, 1);
        float *dout = frand(N * C, -1, 1), *out = fbuf(N * C), *mean = fbuf(N), *rstd = fbuf(N);
        fgk_layernorm_fwd(out, mean, rstd, x, w, b, N, C, 1e-5f);
        float *dx[3], *dw[3], *db[3];
        for (int r = 0; r < 3; r++) {
            dx[r] = fbuf(N * C), dw[r] = fbuf(C), db[r] = fbuf(C);
            omp_set_num_threads(r == 2 ? 1 : 2);
            fgk_layernorm_bwd(dx[r], dw[r], db[r], dout, x, w, mean, rstd, N, C);
        }
        omp_set_num_threads(2);
        check_equal_bits("layernorm dx, 2 threads run twice", dx[0], dx[1], N * C);
        check_equal_bits("layernorm dw, 2 threads run twice", dw[0], dw[1], C);
        check_equal_bits("layernorm db, 2 threads run twice", db[0], db[1], C);
        check_equal_bits("layernorm dw, 1 vs 2 threads", dw[0], dw[2], C);
        check_equal_bits("layernorm db, 1 vs 2 threads", db[0], db[2], C);

        float *rdw[2] = {fbuf(C), fbuf(C)};
        for (int r = 0; r < 2; r++) {
            omp_set_num_threads(r + 1);
            fgk_rmsnorm_bwd(NULL, rdw[r], dout, x, w, rstd, N, C);
        }
        omp_set_num_threads(2);
        check_equal_bits("rmsnorm dw, 1 vs 2 threads", rdw[0], rdw[1], C);

        int32_t *ids = malloc((size_t)N * sizeof(int32_t));
        for (int64_t n = 0; n < N; n++) ids[n] = (int32_t)rng_int(17);
        float *dt[2] = {fbuf(17 * C), fbuf(17 * C)}, *lb[2] = {fbuf(C), fbuf(C)};
        float *ly[3], *ldx[3], *ldw[3];
        for (int r = 0; r < 3; r++) { /* 1 thread, then 2 threads twice */
            omp_set_num_threads(r == 2 ? 2 : r + 1);
            if (r < 2) fgk_embedding_bwd(dt[r], dout, ids, N, C);
            if (r < 2) fgk_linear_bwd_weight(NULL, lb[r], dout, x, N, C, C);
            ly[r] = fbuf(N * C), ldx[r] = fbuf(N * C), ldw[r] = fbuf(C * C);
            fgk_linear_fwd(ly[r], x, dout, b, N, C, C); /* dout doubles as a C x C weight */
            fgk_linear_bwd_input(ldx[r], dout, x, N, C, C);
            fgk_linear_bwd_weight(ldw[r], NULL, dout, x, N, C, C);
        }
        omp_set_num_threads(2);
        check_equal_bits("embedding dtable, 1 vs 2 threads", dt[0], dt[1], 17 * C);
        check_equal_bits("linear db, 1 vs 2 threads", lb[0], lb[1], C);
        check_equal_bits("linear fwd, 2 threads run twice", ly[1], ly[2], N * C);
        check_equal_bits("linear dx, 2 threads run twice", ldx[1], ldx[2], N * C);
        check_equal_bits("linear dw, 2 threads run twice", ldw[1], ldw[2], C * C);
        /* sgemm's rounding depends on the block of rows it is given, so linear is
         * deterministic per thread count only (not checked: 1 vs 2 threads) */
        for (int r = 0; r < 3; r++) free(ly[r]), free(ldx[r]), free(ldw[r]);

        for (int r = 0; r < 3; r++) free(dx[r]), free(dw[r]), free(db[r]);
        free(x), free(w), free(b), free(dout), free(out), free(mean), free(rstd), free(rdw[0]);
        free(rdw[1]), free(ids), free(dt[0]), free(dt[1]), free(lb[0]), free(lb[1]);
    }
}

int main(void) {
    omp_set_num_threads(2);
    test_expf();
    test_thread_cols();

    test_embedding_case(1, 5, 3);
    test_embedding_case(37, 33, 11);
    test_embedding_case(200, 200, 7); /* large enough to run in parallel */

    test_linear_case(1, 3, 5, 1);
    test_linear_case(7, 13, 9, 1);
    test_linear_case(33, 45, 21, 0);
    test_linear_case(300, 128, 130, 1); /* db goes through the parallel column split */

    test_layernorm_case(1, 15, 1);
    test_layernorm_case(5, 33, 1);
    test_layernorm_case(7, 45, 0);
    test_layernorm_case(131, 512, 1); /* 3 row chunks, parallel */

    test_rmsnorm_case(1, 15);
    test_rmsnorm_case(5, 33);
    test_rmsnorm_case(131, 512);

    test_activation("gelu", fgk_gelu_fwd, fgk_gelu_bwd, ref_gelu, 37, -6, 6);
    test_activation("gelu", fgk_gelu_fwd, fgk_gelu_bwd, ref_gelu, 50001, -4, 4);
    test_activation("silu", fgk_silu_fwd, fgk_silu_bwd, ref_silu, 37, -8, 8);
    test_activation("silu", fgk_silu_fwd, fgk_silu_bwd, ref_silu, 50001, -8, 8);
    test_activation("relu", fgk_relu_fwd, fgk_relu_bwd, ref_relu, 37, -2, 2);
    test_activation("relu", fgk_relu_fwd, fgk_relu_bwd, ref_relu, 50001, -2, 2);
    test_gelu_extremes();

    test_softmax_case(1, 1, 1);
    test_softmax_case(5, 33, 3);
    test_softmax_case(3, 257, 20);
    test_softmax_case(70, 1000, 5);

    test_alibi_slopes();
    /* B, T, H, Hkv, D, causal, alibi, scale (0: 1/sqrt(D)) */
    test_attention_case(1, 1, 1, 1, 3, 1, 0, 0);
    test_attention_case(2, 7, 3, 3, 5, 1, 0, 0);
    test_attention_case(2, 7, 3, 3, 5, 0, 0, 0);
    test_attention_case(1, 37, 4, 4, 16, 1, 0, 0);
    test_attention_case(1, 37, 4, 2, 12, 1, 0, 0);  /* grouped-query, odd T and D */
    test_attention_case(2, 37, 4, 1, 12, 0, 0, 0);  /* multi-query, non-causal */
    test_attention_case(1, 37, 3, 3, 12, 1, 1, 0);  /* ALiBi, 3 heads */
    test_attention_case(2, 20, 4, 2, 8, 0, 1, 0);   /* ALiBi non-causal, 4 heads */
    test_attention_case(1, 33, 6, 2, 16, 1, 1, 0.3); /* ALiBi, 6 heads; custom scale */
    test_attention_case(2, 33, 2, 2, 48, 0, 0, 0.3);
    test_attention_case(2, 70, 2, 2, 48, 1, 0, 0);
    test_attention_case(1, 40, 2, 2, 128, 1, 0, 0); /* D = 128: several column tiles */
    /* several query blocks of the backward; T = 300 also two online-softmax steps */
    test_attention_case(1, 300, 2, 1, 40, 1, 1, 0);
    test_attention_case(1, 200, 3, 3, 20, 0, 0, 0);
    test_attention_dropout();

    test_cross_entropy_case(1, 1, 0, 1);
    test_cross_entropy_case(9, 13, 3, 4);
    test_cross_entropy_case(33, 257, 4, 10);
    test_cross_entropy_case(20, 5000, 0, 30);
    test_cross_entropy_all_ignored();

    test_elementwise(1);
    test_elementwise(1001);
    test_elementwise(100003);
    test_dropout();
    test_determinism();
    return fg_test_finish("test_kernels");
}
