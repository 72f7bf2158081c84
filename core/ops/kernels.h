/* CPU compute kernels: plain functions over contiguous row-major fp32 arrays, in the
 * style of llm.c (one forward and one backward per op). Internal to the core; the
 * autodiff tape (core/autodiff) calls them. Threaded with OpenMP where it pays, with a
 * static partition so results are identical run after run for a given thread count.
 *
 * Conventions: N is the number of rows (B*T), C the row width. Backward kernels
 * ACCUMULATE (+=) into gradient buffers; a NULL gradient pointer means "not needed"
 * and the kernel skips that work. */
#ifndef FG_CORE_KERNELS_H
#define FG_CORE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* out[n, :] = table[ids[n], :]. Caller guarantees 0 <= ids[n] < rows of table. */
void fgk_embedding_fwd(float *out, const int32_t *ids, const float *table, int64_t N, int64_t C);
void fgk_embedding_bwd(float *dtable, const float *dout, const int32_t *ids, int64_t N, int64_t C);

/* out[N, OUT] = x[N, IN] @ w[OUT, IN]^T + b[OUT] (b may be NULL). Through cblas. */
void fgk_linear_fwd(float *out, const float *x, const float *w, const float *b, int64_t N,
                    int64_t IN, int64_t OUT);
/* dx[N, IN] += dout[N, OUT] @ w[OUT, IN] */
void fgk_linear_bwd_input(float *dx, const float *dout, const float *w, int64_t N, int64_t IN,
                          int64_t OUT);
/* dw[OUT, IN] += dout^T @ x; db[OUT] += sum_n dout[n, :] (either may be NULL) */
void fgk_linear_bwd_weight(float *dw, float *db, const float *dout, const float *x, int64_t N,
                           int64_t IN, int64_t OUT);

/* y = (x - mean) * rstd * w + b; saves mean[N], rstd[N]. b may be NULL. */
void fgk_layernorm_fwd(float *out, float *mean, float *rstd, const float *x, const float *w,
                       const float *b, int64_t N, int64_t C, float eps);
void fgk_layernorm_bwd(float *dx, float *dw, float *db, const float *dout, const float *x,
                       const float *w, const float *mean, const float *rstd, int64_t N,
                       int64_t C);

/* y = x * rstd * w, rstd = 1/sqrt(mean(x^2) + eps); saves rstd[N]. */
void fgk_rmsnorm_fwd(float *out, float *rstd, const float *x, const float *w, int64_t N,
                     int64_t C, float eps);
void fgk_rmsnorm_bwd(float *dx, float *dw, const float *dout, const float *x, const float *w,
                     const float *rstd, int64_t N, int64_t C);

/* Elementwise activations over n values. GELU is the tanh approximation (as GPT-2). */
void fgk_gelu_fwd(float *out, const float *x, int64_t n);
void fgk_gelu_bwd(float *dx, const float *x, const float *dout, int64_t n);
void fgk_silu_fwd(float *out, const float *x, int64_t n);
void fgk_silu_bwd(float *dx, const float *x, const float *dout, int64_t n);
void fgk_relu_fwd(float *out, const float *x, int64_t n);
void fgk_relu_bwd(float *dx, const float *x, const float *dout, int64_t n);

/* Row-wise softmax over the last dimension. */
void fgk_softmax_fwd(float *out, const float *x, int64_t N, int64_t C);
void fgk_softmax_bwd(float *dx, const float *y, const float *dout, int64_t N, int64_t C);

/* Scaled dot-product attention with grouped-query heads: H query heads share Hkv
 * key/value heads (query head h uses kv head h / (H / Hkv)), each D wide. An operand
 * is addressed by strides, so packed projections, caches and outputs need no copies:
 * head n of row t of sequence b starts at x + b*x_bs + t*x_ts + n*D (k and v share
 * their strides). There are T queries and S >= T keys per sequence; query t sits at
 * position S - T + t (the keys before it come from a KV cache). */
typedef struct fgk_attn {
    int64_t B, T, S, H, Hkv, D;
    const float *q, *k, *v;
    int64_t q_bs, q_ts, kv_bs, kv_ts;
    float scale;          /* of q.k */
    int causal;           /* query at position i sees keys j <= i */
    const float *slopes;  /* ALiBi: score(i, j) -= slopes[h] * |i - j|; NULL: none */
    float dropout;        /* on the probabilities, in [0, 1); 0: none */
    uint64_t seed;        /* of the dropout mask: a hash of (seed, b, h, i, j) */
} fgk_attn;

/* out [B, T, H*D]. Either keeps the probabilities probs [B, H, T, S] (exact softmax
 * over whole rows: the plain path), or, with probs NULL, runs a blocked online softmax
 * that never holds more than a block of keys per row (the lean path); lse [B, H, T]
 * (may be NULL) receives each row's log-sum-exp of the scores. Probabilities are
 * stored before dropout. */
void fgk_attention_fwd(const fgk_attn *a, float *out, float *probs, float *lse);
/* Accumulates into dq, dk, dv (the layouts of q, k, v; all NULL: nothing to do), from
 * the forward's out and dout [B, T, H*D] and either its probs or, when probs is NULL,
 * its lse (recomputing the probabilities block by block). Needs S == T. */
void fgk_attention_bwd(const fgk_attn *a, float *dq, float *dk, float *dv, const float *dout,
                       const float *out, const float *probs, const float *lse);
/* ALiBi slopes of Press et al. (2022), as their get_slopes: for a power of two n,
 * slopes[k-1] = 2^(-8k/n), k = 1..n; otherwise the m = 2^floor(log2 n) slopes of m,
 * then those of 2m at k = 1, 3, 5, ... until n. */
void fgk_alibi_slopes(float *slopes, int64_t n);

/* Mean cross-entropy over rows whose target is >= 0 (negative targets are ignored).
 * Saves lse[N] (log-sum-exp of each row). Returns the mean loss; *n_valid the count. */
float fgk_cross_entropy_fwd(float *lse, const float *logits, const int32_t *targets, int64_t N,
                            int64_t V, int64_t *n_valid);
/* dlogits += dloss * (softmax(logits) - onehot(target)) / n_valid */
void fgk_cross_entropy_bwd(float *dlogits, const float *logits, const int32_t *targets,
                           const float *lse, float dloss, int64_t n_valid, int64_t N, int64_t V);

/* Per-thread scratch. Ops reserve what their kernels will take before calling them, so
 * running out of memory is an error the op reports rather than a failure in a kernel.
 * Returns 0, or -1 when memory ran out. */
int fgk_scratch_reserve(size_t floats_per_thread);
/* attention: the forward (keeping probabilities or not), and the backward if asked */
size_t fgk_attention_scratch_floats(const fgk_attn *a, int keep_probs, int backward);
size_t fgk_norm_scratch_floats(int64_t N, int64_t C);                 /* layernorm/rmsnorm bwd */

/* Elementwise helpers used by the tape. */
void fgk_add(float *out, const float *a, const float *b, int64_t n);
void fgk_mul(float *out, const float *a, const float *b, int64_t n);
void fgk_scale(float *out, const float *a, float s, int64_t n);
void fgk_acc(float *dst, const float *src, int64_t n);            /* dst += src */
void fgk_acc_mul(float *dst, const float *a, const float *b, int64_t n); /* dst += a*b */
void fgk_acc_scale(float *dst, const float *src, float s, int64_t n);    /* dst += s*src */
/* Dropout with a counter-based hash of (seed, index): mask[i] = keep ? 1/(1-p) : 0. */
void fgk_dropout_fwd(float *out, float *mask, const float *x, float p, uint64_t seed, int64_t n);

/* Rotary position embedding ("rotate half": dims i and i + D/2 of a head turn together).
 * table [T, D]: cos then sin of theta = (pos0 + t) * base^(-2i/D) for i < D/2, computed
 * in double. x, out [B, T, W]: the first n_heads heads of width D rotate, the columns
 * after them pass through. The backward accumulates the inverse rotation of dout. */
void fgk_rope_table(float *table, int64_t T, int64_t D, int64_t pos0, double base);
void fgk_rope_fwd(float *out, const float *x, const float *table, int64_t B, int64_t T,
                  int64_t W, int64_t n_heads, int64_t D);
void fgk_rope_bwd(float *dx, const float *dout, const float *table, int64_t B, int64_t T,
                  int64_t W, int64_t n_heads, int64_t D);

/* Swish with a per-channel slope: y = x * sigmoid(beta[c] x) over rows of width C;
 * beta NULL means 1 (SiLU). dbeta (NULL: not needed) sums over rows in row order. */
void fgk_swish_fwd(float *out, const float *x, const float *beta, int64_t N, int64_t C);
void fgk_swish_bwd(float *dx, float *dbeta, const float *x, const float *beta,
                   const float *dout, int64_t N, int64_t C);

#endif
