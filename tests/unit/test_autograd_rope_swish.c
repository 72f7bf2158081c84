/* The rotary embedding and learned-slope swish ops: gradients against central finite
 * differences (full and split B/W backward), both kernels against their formulas in
 * double (rope also at position offsets, as with a KV cache), the slope gradient's
 * independence of the thread count, and the ops' argument errors. */
#include "autodiff/graph.h"
#include "autodiff/ops.h"
#include "fg_test.h"
#include "ops/kernels.h"
#include "threads/threads.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IN 2
#define MAX_OUT 1024

typedef fg_tensor *(*build_fn)(fg_graph *g, fg_tensor **in);

typedef struct op_case {
    const char *name;
    int n_in;
    int32_t ndim[MAX_IN];
    int64_t shape[MAX_IN][3];
    double lo[MAX_IN], hi[MAX_IN]; /* range of the random values */
    build_fn build;
} op_case;

/* What the objective needs: a fresh forward of the case, projected on R. */
typedef struct op_run {
    const op_case *c;
    fg_graph *g;
    fg_tensor *in[MAX_IN];
    float R[MAX_OUT];
} op_run;

static fg_tensor *b_rope_qkv(fg_graph *g, fg_tensor **in) { return fg_op_rope(g, in[0], 3, 8, 10000.0); }
static fg_tensor *b_rope_all(fg_graph *g, fg_tensor **in) { return fg_op_rope(g, in[0], 2, 2, 100.0); }
static fg_tensor *b_rope_odd_rest(fg_graph *g, fg_tensor **in) { return fg_op_rope(g, in[0], 1, 4, 10.0); }
static fg_tensor *b_swish(fg_graph *g, fg_tensor **in) { return fg_op_swish(g, in[0], in[1]); }
static fg_tensor *b_swish_silu(fg_graph *g, fg_tensor **in) { return fg_op_swish(g, in[0], NULL); }

static const op_case cases[] = {
    /* packed qkv of 2 query + 1 key + 1 value heads of 8: q and k rotate, v passes */
    {"rope_packed_qkv", 1, {3}, {{2, 5, 32}}, {-1}, {1}, b_rope_qkv},
    {"rope_every_column", 1, {3}, {{1, 6, 4}}, {-1}, {1}, b_rope_all},
    {"rope_odd_rest", 1, {3}, {{2, 3, 7}}, {-1}, {1}, b_rope_odd_rest},
    {"swish", 2, {3, 1}, {{3, 4, 6}, {6}}, {-3, -2}, {3, 2}, b_swish},
    {"swish_no_beta", 1, {2}, {{5, 7}}, {-4}, {4}, b_swish_silu},
};

static void clear_grads(op_run *r) {
    for (int i = 0; i < r->c->n_in; i++) {
        fg_tensor *t = r->in[i];
        if (t->flags & FG_T_PARAM) memset(t->grad, 0, (size_t)t->numel * sizeof(float));
        else t->grad = NULL; /* the graph hands out a fresh one */
    }
}

/* sum(out * R) in double after a fresh forward. */
static double objective(void *ctx) {
    op_run *r = ctx;
    fg_graph_reset(r->g);
    clear_grads(r);
    fg_tensor *out = r->c->build(r->g, r->in);
    if (out == NULL || out->numel > MAX_OUT) return NAN;
    double s = 0.0;
    for (int64_t k = 0; k < out->numel; k++) s += (double)fg_f32(out)[k] * r->R[k];
    return s;
}

/* Forward, then backward seeded with R, full or split into the B and W passes. Fills
 * grads[i] with a copy of input i's gradient (the graph's buffers die at reset). */
static int forward_backward(op_run *r, int split, float **grads) {
    fg_graph_reset(r->g);
    clear_grads(r);
    fg_tensor *out = r->c->build(r->g, r->in);
    if (out == NULL || out->numel > MAX_OUT) return -1;
    const int64_t shape[1] = {out->numel};
    fg_tensor *seed = fg_graph_tensor(r->g, FG_DTYPE_F32, 1, shape);
    memcpy(seed->data, r->R, (size_t)out->numel * sizeof(float));
    fg_error err = {0};
    fg_status st = split ? fg_graph_backward(r->g, out, seed, FG_BACKWARD_INPUT, &err) : FG_OK;
    if (st == FG_OK)
        st = fg_graph_backward(r->g, out, seed, split ? FG_BACKWARD_WEIGHT : FG_BACKWARD_FULL, &err);
    CHECK_MSG(st == FG_OK, "%s: backward: %s", r->c->name, err.msg);
    for (int i = 0; i < r->c->n_in; i++)
        if (r->in[i]->grad != NULL)
            memcpy(grads[i], r->in[i]->grad, (size_t)r->in[i]->numel * sizeof(float));
    return st == FG_OK ? 0 : -1;
}

static void check_case(const op_case *c) {
    static const fg_test_fd tol = {1e-3, 5e-4, 1e-2};
    op_run r = {.c = c};
    float *full[MAX_IN] = {0}, *split[MAX_IN] = {0};
    fg_error err;
    fg_graph_create(&r.g, &err);
    fg_test_seed(c->name);
    for (int k = 0; k < MAX_OUT; k++) r.R[k] = (float)fg_test_uniform(-1, 1);
    for (int i = 0; i < c->n_in; i++) {
        r.in[i] = fg_test_tensor(FG_DTYPE_F32, c->ndim[i], c->shape[i], i > 0);
        for (int64_t k = 0; k < r.in[i]->numel; k++)
            fg_f32(r.in[i])[k] = (float)fg_test_uniform(c->lo[i], c->hi[i]);
        full[i] = calloc((size_t)r.in[i]->numel, sizeof(float));
        split[i] = calloc((size_t)r.in[i]->numel, sizeof(float));
    }
    int ok = forward_backward(&r, 0, full) == 0 && forward_backward(&r, 1, split) == 0;
    CHECK_MSG(ok, "%s: %s", c->name, r.g->error.msg);
    double split_diff = 0.0, worst = 0.0;
    for (int i = 0; ok && i < c->n_in; i++) {
        for (int64_t k = 0; k < r.in[i]->numel; k++)
            split_diff = fmax(split_diff, fabs((double)full[i][k] - split[i][k]));
        char what[64];
        snprintf(what, sizeof what, "%s input %d", c->name, i);
        worst = fmax(worst, fg_test_fd_check(what, fg_f32(r.in[i]), full[i], r.in[i]->numel, 1,
                                             objective, &r, &tol));
    }
    CHECK_MSG(split_diff == 0.0, "%s: split backward differs by %g", c->name, split_diff);
    printf("  %-18s max |analytic - numeric| = %.2e, split B/W vs full = %.1e\n", c->name, worst,
           split_diff);
    for (int i = 0; i < c->n_in; i++) {
        free(full[i]);
        free(split[i]);
        fg_test_tensor_free(r.in[i]);
    }
    fg_graph_destroy(r.g);
}

/* out[b, t, h*D + i] from the RoFormer definition with the rotate-half pairing, in
 * double, at position pos0 + t. */
static double rope_reference(const float *x, int64_t t, int64_t W, int64_t n_heads, int64_t D,
                             int64_t pos0, double base, int64_t col) {
    const float *row = x + t * W;
    if (col >= n_heads * D) return row[col];
    const int64_t h = col / D, j = col % D, half = D / 2, i = j % half;
    const double theta = (double)(pos0 + t) / pow(base, (double)(2 * i) / (double)D);
    const double a = row[h * D + i], b = row[h * D + half + i];
    return j < half ? a * cos(theta) - b * sin(theta) : b * cos(theta) + a * sin(theta);
}

/* The kernel at a position offset (what a KV cache gives the op) against the formula,
 * including positions far enough out that angles computed in float would drift; and the
 * backward undoes the forward (a rotation's inverse is its transpose). */
static void check_rope_offsets(void) {
    enum { T = 5, D = 6, H = 2, W = 15 };
    static const int64_t offsets[] = {0, 3, 1000, 100000};
    float x[T * W], out[T * W], back[T * W], table[T * D];
    for (int k = 0; k < T * W; k++) x[k] = (float)fg_test_uniform(-1, 1);
    for (size_t o = 0; o < sizeof offsets / sizeof offsets[0]; o++) {
        const int64_t pos0 = offsets[o];
        fgk_rope_table(table, T, D, pos0, 10000.0);
        fgk_rope_fwd(out, x, table, 1, T, W, H, D);
        double worst = 0.0;
        for (int64_t t = 0; t < T; t++)
            for (int64_t c = 0; c < W; c++)
                worst = fmax(worst, fabs(out[t * W + c] - rope_reference(x, t, W, H, D, pos0, 10000.0, c)));
        CHECK_MSG(worst < 2e-6, "rope at offset %lld: max error %g vs the formula in double",
                  (long long)pos0, worst);
        memset(back, 0, sizeof back);
        fgk_rope_bwd(back, out, table, 1, T, W, H, D);
        double roundtrip = 0.0;
        for (int k = 0; k < T * W; k++) roundtrip = fmax(roundtrip, fabs(back[k] - x[k]));
        CHECK_MSG(roundtrip < 1e-6, "rope at offset %lld: inverse rotation misses by %g",
                  (long long)pos0, roundtrip);
        printf("  rope offset %-6lld max |kernel - formula| = %.1e, |inverse(rope(x)) - x| = %.1e\n",
               (long long)pos0, worst, roundtrip);
    }
    /* Shifting the start moves the table: row t at pos0 is row pos0 + t at 0, bit for bit. */
    float shifted[T * D], base_table[(T + 3) * D];
    fgk_rope_table(shifted, T, D, 3, 10000.0);
    fgk_rope_table(base_table, T + 3, D, 0, 10000.0);
    CHECK(memcmp(shifted, base_table + 3 * D, sizeof shifted) == 0);
}

/* The forward against x / (1 + exp(-beta x)) in double, with and without slopes. */
static void check_swish_values(void) {
    enum { N = 3, C = 40 };
    float x[N * C], beta[C], out[N * C];
    for (int k = 0; k < N * C; k++) x[k] = (float)fg_test_uniform(-12, 12);
    for (int c = 0; c < C; c++) beta[c] = (float)fg_test_uniform(-3, 3);
    for (int with_beta = 0; with_beta < 2; with_beta++) {
        fgk_swish_fwd(out, x, with_beta ? beta : NULL, N, C);
        double worst = 0.0;
        for (int k = 0; k < N * C; k++) {
            const double b = with_beta ? beta[k % C] : 1.0, want = x[k] / (1.0 + exp(-b * x[k]));
            worst = fmax(worst, fabs(out[k] - want) / fmax(1.0, fabs(want)));
        }
        CHECK_MSG(worst < 1e-6, "swish%s: relative error %g vs the formula", with_beta ? "" : " (silu)", worst);
    }
}

/* Swish's slope gradient sums over rows: the same bits for every thread count. */
static void check_swish_threads(void) {
    enum { N = 300, C = 200 };
    float *x = malloc(sizeof(float) * N * C), *dout = malloc(sizeof(float) * N * C);
    float beta[C], dbeta[3][C];
    for (int k = 0; k < N * C; k++) {
        x[k] = (float)fg_test_uniform(-3, 3);
        dout[k] = (float)fg_test_uniform(-1, 1);
    }
    for (int c = 0; c < C; c++) beta[c] = (float)fg_test_uniform(0.2, 2);
    for (int n = 1; n <= 3; n++) {
        fg_threads_init(n);
        memset(dbeta[n - 1], 0, sizeof dbeta[0]);
        fgk_swish_bwd(NULL, dbeta[n - 1], x, beta, dout, N, C);
    }
    fg_threads_init(2);
    CHECK_MSG(memcmp(dbeta[0], dbeta[1], sizeof dbeta[0]) == 0 &&
                  memcmp(dbeta[0], dbeta[2], sizeof dbeta[0]) == 0,
              "swish: dbeta differs between 1, 2 and 3 threads");
    free(x);
    free(dout);
}

/* Each call must fail with a message naming the op. */
static void check_errors(void) {
    fg_graph *g;
    fg_error err;
    fg_graph_create(&g, &err);
    const int64_t s3[3] = {2, 3, 8}, s1[1] = {5};
    fg_tensor *x = fg_test_tensor(FG_DTYPE_F32, 3, s3, 0), *beta = fg_test_tensor(FG_DTYPE_F32, 1, s1, 1);
    static const struct {
        int32_t n_heads, head_dim;
        double base;
        const char *says;
    } bad_rope[] = {
        {1, 3, 10000.0, "rope: head_dim must be even"},
        {3, 4, 10000.0, "rope: 3 heads of width 4 do not fit"},
        {0, 4, 10000.0, "rope: 0 heads"},
        {1, 4, 0.0, "rope: base must be"},
    };
    for (size_t i = 0; i < sizeof bad_rope / sizeof bad_rope[0]; i++) {
        fg_graph_reset(g);
        CHECK(fg_op_rope(g, x, bad_rope[i].n_heads, bad_rope[i].head_dim, bad_rope[i].base) == NULL);
        CHECK_MSG(strstr(g->error.msg, bad_rope[i].says) != NULL, "got '%s'", g->error.msg);
    }
    fg_graph_reset(g);
    CHECK(fg_op_swish(g, x, beta) == NULL);
    CHECK_MSG(strstr(g->error.msg, "swish: beta [5] must have one slope per channel of input [2, 3, 8]") != NULL,
              "got '%s'", g->error.msg);
    fg_test_tensor_free(x);
    fg_test_tensor_free(beta);
    fg_graph_destroy(g);
}

int main(void) {
    fg_threads_init(2);
    printf("rope and swish gradients vs central differences (eps 1e-3, tolerance 5e-4 + 1e-2*|g|):\n");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(&cases[i]);
    check_rope_offsets();
    check_swish_values();
    check_swish_threads();
    check_errors();
    return fg_test_finish("test_autograd_rope_swish");
}
