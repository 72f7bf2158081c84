/* fgc_runtime.h: the Forgather C runtime, the functions a model exported by `fgrun code`
 * computes its forward pass with. Plain C99 over float arrays, batch 1: an activation
 * [T, C] is T rows of C floats, row-major; weights are laid out as Forgather-C stores
 * them (a linear layer's weight is [out, in]). It depends on libc and libm only;
 * compiled with -DFGC_BLAS, fgc_linear calls cblas_sgemm, and with -fopenmp matrix
 * products and attention heads run on all cores.
 *
 * Every formula is the one the training runtime uses (docs/components.md): results
 * agree with it to float rounding. */
#ifndef FGC_RUNTIME_H
#define FGC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

/* ---- memory --------------------------------------------------------------------- */

/* n floats, zero-filled; prints a message and exits when out of memory. */
float *fgc_alloc(long n);
void fgc_free(float *p);

/* ---- layers ---------------------------------------------------------------------- */

/* y[t] = table[ids[t]], rows of C floats. */
void fgc_embedding(float *y, const int32_t *ids, const float *table, int T, int C);
/* y [T, out] = x [T, in] w^T (+ b): w is [out, in]; b [out] may be NULL. */
void fgc_linear(float *y, const float *x, const float *w, const float *b, int T, int in, int out);
/* Elementwise over n floats; y may alias a, b or x. */
void fgc_add(float *y, const float *a, const float *b, long n);
void fgc_mul(float *y, const float *a, const float *b, long n);
void fgc_scale(float *y, const float *x, float s, long n);
void fgc_copy(float *y, const float *x, long n);
/* Per row of C: (x - mean) / sqrt(var + eps) * w (+ b), var the biased variance; b may
 * be NULL. */
void fgc_layernorm(float *y, const float *x, const float *w, const float *b, int T, int C, float eps);
/* Per row of C: x / sqrt(mean(x^2) + eps) * w. */
void fgc_rmsnorm(float *y, const float *x, const float *w, int T, int C, float eps);

/* ---- activations (elementwise over n floats; y may alias x) ------------------------- */

/* GELU, tanh approximation (GPT-2): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
void fgc_gelu(float *y, const float *x, long n);
void fgc_relu(float *y, const float *x, long n);
/* x * sigmoid(x). */
void fgc_silu(float *y, const float *x, long n);
/* x * sigmoid(beta[c] x) over rows of W: a learned slope per column. */
void fgc_swish(float *y, const float *x, const float *beta, int T, int W);

/* ---- positions ------------------------------------------------------------------- */

/* x[t] += PE[t] for positions t = 0 .. T-1 (Vaswani et al.): PE[t, 2i] =
 * sin(t / 10000^(2i/C)), PE[t, 2i+1] = cos(same), computed in double. */
void fgc_add_sinusoidal(float *x, int T, int C);
/* x[t] += table[t]: learned positions. */
void fgc_add_rows(float *x, const float *table, int T, int C);
/* Rotary embedding (RoFormer, "rotate half" pairing of GPT-NeoX and LLaMA), in place on
 * the first n_heads heads of width head_dim of each row of x [T, W]: dims m and
 * m + head_dim/2 turn by t * base^(-2m/head_dim) at position t (angles in double). */
void fgc_rope(float *x, int T, int W, int n_heads, int head_dim, float base);

/* ---- attention ------------------------------------------------------------------- */

/* ALiBi slopes of H heads (Press et al. 2022), for any H. */
void fgc_alibi_slopes(float *slopes, int H);
/* Scaled dot-product attention on a packed projection qkv [T, (H + 2 Hkv) D]: H query
 * heads, then Hkv key heads, then Hkv value heads, each D wide; query head h reads
 * key/value head h / (H / Hkv). Scores scale q.k (scale 0: 1/sqrt(D)), minus
 * slope_h |i - j| with alibi, masked to j <= i when causal. y is [T, H D]. */
void fgc_attention(float *y, const float *qkv, int T, int H, int Hkv, int D, int causal, int alibi,
                   float scale);

/* ---- sampling -------------------------------------------------------------------- */

/* The next token from the logits of ids 0 .. V-1: temperature 0 takes the most likely
 * (ties to the lower id); otherwise the softmax of logits / temperature, cut to the
 * top_k most likely (0: all), then to the fewest whose probability reaches top_p (1:
 * all), drawn with one splitmix64 step of *rng. The same rule and draws as fgrun
 * generate, so a seed gives the same text. */
int fgc_sample(const float *logits, int V, float temperature, int top_k, float top_p, uint64_t *rng);

/* ---- weights --------------------------------------------------------------------- */

/* A safetensors file (as fgrun train writes model.safetensors). Functions print what
 * went wrong, naming the file and tensor, and return NULL. Little-endian data is
 * converted on big-endian machines. */
typedef struct fgc_tensor_file fgc_tensor_file;
fgc_tensor_file *fgc_tensors_open(const char *path);
/* The tensor `name` as a new array (free with fgc_free), after checking that it exists,
 * is F32 and has the given shape. */
float *fgc_tensors_read(fgc_tensor_file *f, const char *name, int ndim, const long *shape);
void fgc_tensors_close(fgc_tensor_file *f);

#endif
