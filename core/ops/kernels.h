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

/* Multi-head scaled dot-product attention on a fused projection.
 * qkv [B, T, 3C]: q = qkv[..., 0:C], k = [C:2C], v = [2C:3C]; head h uses columns
 * h*hs .. (h+1)*hs of each, hs = C/H. out [B, T, C]. probs [B, H, T, T] saves the
 * softmax for backward (entries above the diagonal are 0 when causal). */
void fgk_attention_fwd(float *out, float *probs, const float *qkv, int64_t B, int64_t T,
                       int64_t C, int64_t H, int causal);
void fgk_attention_bwd(float *dqkv, const float *dout, const float *qkv, const float *probs,
                       int64_t B, int64_t T, int64_t C, int64_t H, int causal);

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
size_t fgk_attention_scratch_floats(int64_t T, int64_t C, int64_t H); /* fwd and bwd */
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

#endif
